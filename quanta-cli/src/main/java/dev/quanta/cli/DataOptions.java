package dev.quanta.cli;

import dev.quanta.data.Dataset;
import dev.quanta.data.DatasetSpec;
import dev.quanta.data.Datasets;
import dev.quanta.data.LabelFormat;
import dev.quanta.data.Preprocessing;
import dev.quanta.data.SampleType;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.Option;

/**
 * Dataset and preprocessing options shared by {@code evaluate} ({@code --data}) and {@code quantize}
 * ({@code --calibration}); subclasses declare the path option.
 */
abstract class DataOptions {
    /** The dataset path, or null when none was given. */
    abstract Path dataPath();

    /** {@code --data}, required: labelled data to evaluate on. */
    static final class Evaluation extends DataOptions {
        @Option(names = "--data", required = true, paramLabel = "PATH",
                description = "Labelled data: MNIST IDX images (raw or .gz), .npy/.npz, a folder of raw .bin samples "
                        + "with a labels CSV (file.bin,count,class), or an image folder (one folder per class).")
        Path data;

        @Override
        Path dataPath() {
            return data;
        }
    }

    /** {@code --calibration}: representative data for full-integer quantization. */
    static final class Calibration extends DataOptions {
        @Option(names = "--calibration", paramLabel = "PATH",
                description = "Representative data to calibrate activations (same formats and preprocessing options "
                        + "as evaluate's --data; labels are not needed).")
        Path data;

        @Override
        Path dataPath() {
            return data;
        }
    }

    @Option(names = "--labels", paramLabel = "PATH",
            description = "Labels file: IDX labels, labels .npy, or the CSV of a raw sample folder "
                    + "(default: found next to the data).")
    Path labels;

    @Option(names = "--format", paramLabel = "FORMAT", description = "idx, numpy, raw or images (default: detected).")
    String format;

    @Option(names = "--sample-type", paramLabel = "TYPE", description = "Raw sample type (required for raw folders): uint8, int8, int16, "
            + "int32, float32, float64.")
    String sampleType;

    @Option(names = "--sample-shape", paramLabel = "D,D,...", split = ",",
            description = "Raw sample shape, or image size as H,W (default: the model's input shape).")
    int[] sampleShape;

    @Option(names = "--scale", paramLabel = "F", description = "Multiply raw values by F (e.g. 0.00392156862745098 "
            + "for pixels/255; fractions like 1/255 are accepted).", converter = FloatExpression.class)
    Float scale;

    @Option(names = "--offset", paramLabel = "F", description = "Add F after scaling.",
            converter = FloatExpression.class)
    Float offset;

    @Option(names = "--mean", paramLabel = "F,...", split = ",", description = "Subtract per-channel means "
            + "(after scale/offset).", converter = FloatExpression.class)
    float[] mean;

    @Option(names = "--std", paramLabel = "F,...", split = ",", description = "Divide by per-channel standard "
            + "deviations.", converter = FloatExpression.class)
    float[] std;

    @Option(names = "--label-format", paramLabel = "FMT", description = "index or one-hot (default index).")
    String labelFormat;

    @Option(names = "--x-key", paramLabel = "KEY", description = "Array holding samples in an .npz.")
    String xKey;

    @Option(names = "--y-key", paramLabel = "KEY", description = "Array holding labels in an .npz.")
    String yKey;

    @Option(names = "--limit", paramLabel = "N", description = "Use only the first N samples.")
    Integer limit;

    @Option(names = "--grayscale", description = "Read images as one grey channel (default RGB).")
    boolean grayscale;

    /** Loads the dataset; {@code modelSampleShape} fills in a raw sample shape that was not given. */
    Dataset load(int[] modelSampleShape) {
        Preprocessing p = Preprocessing.identity();
        if (scale != null) {
            p = p.withScale(scale);
        }
        if (offset != null) {
            p = p.withOffset(offset);
        }
        if (mean != null || std != null) {
            p = p.withMeanStd(mean, std);
        }
        SampleType type = sampleType == null ? null : SampleType.parse(sampleType);
        LabelFormat lf = labelFormat == null ? LabelFormat.INDEX
                : switch (labelFormat.toLowerCase(Locale.ROOT).replace('_', '-')) {
                    case "index" -> LabelFormat.INDEX;
                    case "one-hot", "onehot" -> LabelFormat.ONE_HOT;
                    default -> throw new dev.quanta.QuantaException("--label-format must be index or one-hot, not '"
                            + labelFormat + "'");
                };
        int[] shape = sampleShape != null ? sampleShape : modelSampleShape;
        DatasetSpec spec = new DatasetSpec(dataPath(), labels, format, type, shape, lf, xKey, yKey, p, limit, grayscale);
        return Datasets.load(spec);
    }
}
