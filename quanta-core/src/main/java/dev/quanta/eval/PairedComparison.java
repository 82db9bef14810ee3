package dev.quanta.eval;

/**
 * Two classifiers scored on the same samples, paired sample by sample: how many samples only the first gets right
 * ({@code b}), how many only the second ({@code c}), and the exact McNemar test of whether the two are equally
 * accurate. The samples both get right or both get wrong say nothing about which is better; under the hypothesis that
 * they are equally accurate each of the {@code n = b + c} discordant samples is as likely to favour either, so
 * {@code b ~ Binomial(n, ½)} and the two-sided p-value is
 *
 * <pre>
 * p = min(1, 2 · Σ_{k ≤ min(b, c)} C(n, k) / 2ⁿ)          (p = 1 when n = 0)
 * </pre>
 *
 * A small p (below {@link #SIGNIFICANCE_LEVEL}, say) says the accuracy difference {@code (c − b) / samples} is unlikely to be sampling noise;
 * a large one says these samples cannot tell the two models apart, however the two accuracies differ.
 *
 * @param samples samples scored
 * @param onlyFirst samples only the first classifier gets right (b)
 * @param onlySecond samples only the second classifier gets right (c)
 */
public record PairedComparison(int samples, int onlyFirst, int onlySecond) {
    /** The level below which {@link #p} calls a difference more than sampling noise. */
    public static final double SIGNIFICANCE_LEVEL = 0.05;

    public PairedComparison {
        if (onlyFirst < 0 || onlySecond < 0 || (long) onlyFirst + onlySecond > samples) {
            throw new IllegalArgumentException(
                    "discordant counts " + onlyFirst + " and " + onlySecond + " do not fit " + samples + " samples");
        }
    }

    /**
     * Pairs two per-sample scorings of the same samples.
     *
     * @param first per sample, whether the first classifier got it right
     * @param second the same for the second classifier
     * @throws IllegalArgumentException when the two cover different numbers of samples
     */
    public static PairedComparison of(boolean[] first, boolean[] second) {
        if (first.length != second.length) {
            throw new IllegalArgumentException(
                    "scorings of " + first.length + " and " + second.length + " samples cannot be paired");
        }
        int b = 0;
        int c = 0;
        for (int i = 0; i < first.length; i++) {
            if (first[i] != second[i]) {
                if (first[i]) {
                    b++;
                } else {
                    c++;
                }
            }
        }
        return new PairedComparison(first.length, b, c);
    }

    /** Whether {@link #p} is below {@link #SIGNIFICANCE_LEVEL}: the accuracy difference is more than noise. */
    public boolean significant() {
        return p() < SIGNIFICANCE_LEVEL;
    }

    /** Samples on which the two disagree about being right: {@code b + c}. */
    public int discordant() {
        return onlyFirst + onlySecond;
    }

    /**
     * The exact two-sided McNemar p-value (see the class comment), summed in log space so that {@code n} of any size
     * neither underflows {@code 2⁻ⁿ} nor overflows {@code C(n, k)}: {@code log P(k + 1) = log P(k) + log((n − k) / (k
     * + 1))} from {@code log P(0) = −n·log 2}.
     */
    public double p() {
        int n = discordant();
        int tail = Math.min(onlyFirst, onlySecond);
        if (2 * tail == n) {
            return 1;
        }
        double logTerm = -n * Math.log(2);
        double logMax = logTerm;
        double[] logs = new double[tail + 1];
        for (int k = 0; k <= tail; k++) {
            logs[k] = logTerm;
            logMax = Math.max(logMax, logTerm);
            logTerm += Math.log((double) (n - k) / (k + 1));
        }
        double sum = 0;
        for (double l : logs) {
            sum += Math.exp(l - logMax);
        }
        return Math.min(1, 2 * Math.exp(logMax + Math.log(sum)));
    }
}
