package dev.quanta.quantize;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a conversion did: the settings, the parameters chosen per layer, the layers left in float and why, the weight
 * scales that had to be adjusted, the sizes before and after, and the time taken.
 *
 * @param modeReason why the mode was chosen when the caller left it to the converter, else null
 * @param floatBytes bytes of the float32 model's constants
 * @param quantizedBytes bytes of the converted model's constants
 * @param calibration the calibrator and the ranges it chose, or null for the modes that do not calibrate
 * @param techniques the weight and bias techniques applied (cross-layer equalization, bias correction), in order,
 *     with what each changed
 * @param warnings one line each, about the calibration data: too few samples, a range end set by very few of them
 */
public record QuantizationReport(
        QuantizationMode mode,
        String modeReason,
        QuantizationScheme scheme,
        Granularity granularity,
        IoType io,
        int calibrationSamples,
        List<LayerReport> layers,
        long floatBytes,
        long quantizedBytes,
        double seconds,
        CalibrationReport calibration,
        List<Technique> techniques,
        List<String> warnings) {
    public QuantizationReport {
        layers = List.copyOf(layers);
        techniques = List.copyOf(techniques);
        warnings = List.copyOf(warnings);
    }

    /** A report without warnings. */
    public QuantizationReport(
            QuantizationMode mode,
            String modeReason,
            QuantizationScheme scheme,
            Granularity granularity,
            IoType io,
            int calibrationSamples,
            List<LayerReport> layers,
            long floatBytes,
            long quantizedBytes,
            double seconds,
            CalibrationReport calibration,
            List<Technique> techniques) {
        this(
                mode,
                modeReason,
                scheme,
                granularity,
                io,
                calibrationSamples,
                layers,
                floatBytes,
                quantizedBytes,
                seconds,
                calibration,
                techniques,
                List.of());
    }

    /** A report without weight and bias techniques. */
    public QuantizationReport(
            QuantizationMode mode,
            String modeReason,
            QuantizationScheme scheme,
            Granularity granularity,
            IoType io,
            int calibrationSamples,
            List<LayerReport> layers,
            long floatBytes,
            long quantizedBytes,
            double seconds,
            CalibrationReport calibration) {
        this(
                mode,
                modeReason,
                scheme,
                granularity,
                io,
                calibrationSamples,
                layers,
                floatBytes,
                quantizedBytes,
                seconds,
                calibration,
                List.of(),
                List.of());
    }

    /**
     * A weight or bias technique that was applied and what it changed, a line per layer or layer pair (empty when
     * it found nothing to change).
     *
     * @param name {@code "cross-layer equalization"} or {@code "bias correction"}
     */
    public record Technique(String name, List<String> changes) {
        public Technique {
            changes = List.copyOf(changes);
        }
    }

    /** Layers left in float, with their reasons. */
    public List<LayerReport> floatLayers() {
        return layers.stream().filter(LayerReport::leftInFloat).toList();
    }

    /** Every weight scale the converter changed (minimum scale, bias range), layer by layer. */
    public List<ScaleAdjustment> scaleAdjustments() {
        return layers.stream().flatMap(l -> l.scaleAdjustments().stream()).toList();
    }

    private static final int MAX_NAME = 48;

    /** Long names (TFLite tensor names) keep their end, which names the layer. */
    static String shorten(String name) {
        return name.length() < MAX_NAME ? name : "…" + name.substring(name.length() - MAX_NAME + 2);
    }

    /**
     * One line per layer, in the order of {@code adjusted}: "conv2d_5: 12 channels (minimum scale 12, bias range 1);
     * smallest scale 6.80e-33 -> 3.94e-09 (channel 7)".
     */
    static List<String> perLayer(List<ScaleAdjustment> adjusted) {
        Map<String, List<ScaleAdjustment>> byLayer = new LinkedHashMap<>();
        for (ScaleAdjustment a : adjusted) {
            byLayer.computeIfAbsent(a.layer(), k -> new ArrayList<>()).add(a);
        }
        List<String> lines = new ArrayList<>();
        for (Map.Entry<String, List<ScaleAdjustment>> e : byLayer.entrySet()) {
            List<ScaleAdjustment> as = e.getValue();
            Map<ScaleAdjustment.Cause, Integer> causes = new EnumMap<>(ScaleAdjustment.Cause.class);
            ScaleAdjustment smallest = as.get(0);
            for (ScaleAdjustment a : as) {
                for (ScaleAdjustment.Cause c : a.causes()) {
                    causes.merge(c, 1, Integer::sum);
                }
                if (a.originalScale() < smallest.originalScale()) {
                    smallest = a;
                }
            }
            StringBuilder why = new StringBuilder();
            for (Map.Entry<ScaleAdjustment.Cause, Integer> c : causes.entrySet()) {
                why.append(why.isEmpty() ? "" : ", ")
                        .append(c.getKey().name().toLowerCase(Locale.ROOT).replace('_', ' '))
                        .append(' ')
                        .append(c.getValue());
            }
            lines.add(String.format(
                    Locale.ROOT,
                    "%s: %s (%s); smallest scale %.3g -> %.3g%s",
                    e.getKey(),
                    smallest.channel() < 0 ? "all channels" : as.size() + " channel" + (as.size() == 1 ? "" : "s"),
                    why,
                    smallest.originalScale(),
                    smallest.newScale(),
                    smallest.channel() < 0 ? "" : " (channel " + smallest.channel() + ")"));
        }
        return lines;
    }

    /** A readable table, with one line per layer whose weight scales were adjusted. */
    public String render() {
        return render(false);
    }

    /**
     * A readable table. Weight-scale adjustments print one line per layer (how many channels, why, and the channel
     * with the smallest plain scale: that scale and the one written), or with {@code everyChannel} one line per
     * adjusted channel.
     */
    public String render(boolean everyChannel) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(
                Locale.ROOT,
                "Mode: %s%s, scheme: %s, weights: %s, I/O: %s%s%n",
                mode.name().toLowerCase(Locale.ROOT),
                modeReason == null ? "" : " (" + modeReason + ")",
                scheme.name().toLowerCase(Locale.ROOT),
                granularity.name().toLowerCase(Locale.ROOT).replace('_', '-'),
                io.name().toLowerCase(Locale.ROOT),
                calibrationSamples > 0 ? ", calibrated on " + calibrationSamples + " samples" : ""));
        int nameW = 12;
        int opW = 8;
        for (LayerReport l : layers) {
            nameW = Math.min(MAX_NAME, Math.max(nameW, l.layer().length() + 1));
            opW = Math.max(opW, l.op().length() + 1);
        }
        String fmt = "%-" + nameW + "s %-" + opW + "s %-16s %-34s %s%n";
        sb.append(String.format(Locale.ROOT, fmt, "Layer", "Op", "Types", "Output", "Weights"));
        for (LayerReport l : layers) {
            sb.append(String.format(
                    Locale.ROOT,
                    fmt,
                    shorten(l.layer()),
                    l.op(),
                    l.inputType() + "->" + l.outputType(),
                    l.outputParams(),
                    l.weightParams() == null ? "" : l.weightParams()));
        }
        if (calibration != null) {
            sb.append(calibration.render());
        }
        for (Technique t : techniques) {
            sb.append(Character.toUpperCase(t.name().charAt(0)))
                    .append(t.name().substring(1))
                    .append(t.changes().isEmpty() ? ": nothing to change\n" : ":\n");
            for (String line : t.changes()) {
                sb.append("  ").append(line).append('\n');
            }
        }
        List<LayerReport> floats = floatLayers();
        if (!floats.isEmpty()) {
            sb.append("Left in float:\n");
            for (LayerReport l : floats) {
                sb.append("  ")
                        .append(l.layer())
                        .append(" (")
                        .append(l.op())
                        .append("): ")
                        .append(l.reason())
                        .append('\n');
            }
        }
        List<ScaleAdjustment> adjusted = scaleAdjustments();
        if (!adjusted.isEmpty()) {
            long layerCount =
                    adjusted.stream().map(ScaleAdjustment::layer).distinct().count();
            sb.append(String.format(
                    Locale.ROOT,
                    "Weight scales adjusted (%d channel%s in %d layer%s: weights about 0, or a bias that int32 could"
                            + " not hold)%s:%n",
                    adjusted.size(),
                    adjusted.size() == 1 ? "" : "s",
                    layerCount,
                    layerCount == 1 ? "" : "s",
                    everyChannel ? "" : "; every channel in --json"));
            if (everyChannel) {
                for (ScaleAdjustment a : adjusted) {
                    sb.append("  ").append(a.describe()).append('\n');
                }
            } else {
                for (String line : perLayer(adjusted)) {
                    sb.append("  ").append(line).append('\n');
                }
            }
        }
        sb.append(String.format(
                Locale.ROOT,
                "Weights: %,d B float32 -> %,d B (%.2fx smaller); converted in %.2f s%n",
                floatBytes,
                quantizedBytes,
                quantizedBytes == 0 ? 0.0 : (double) floatBytes / quantizedBytes,
                seconds));
        return sb.toString();
    }
}
