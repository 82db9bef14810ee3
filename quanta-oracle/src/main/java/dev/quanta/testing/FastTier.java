package dev.quanta.testing;

/**
 * Whether the tests run as the fast tier ({@code ./run-tests --fast}, system property {@code quanta.fastTier}):
 * unit tests only, which neither read fixtures nor run the native TFLite oracle. The fixture and oracle entry
 * points refuse to work then, so a test that needs them and lacks its mark fails instead of slowing the tier.
 */
public final class FastTier {
    private FastTier() {}

    /** True while the fast tier runs. */
    public static boolean active() {
        return Boolean.getBoolean("quanta.fastTier");
    }

    /** Refuses native oracle work in the fast tier. */
    public static void refuseOracle() {
        if (active()) {
            throw new IllegalStateException(
                    "the fast tier runs no native TFLite oracle: mark the test class @UsesOracle");
        }
    }
}
