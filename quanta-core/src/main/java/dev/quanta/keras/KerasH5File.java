package dev.quanta.keras;

import io.jhdf.HdfFile;
import io.jhdf.JhdfInfo;
import io.jhdf.WritableHdfFile;
import io.jhdf.api.WritableGroup;
import io.jhdf.checksum.ChecksumUtils;
import java.io.IOException;
import java.lang.reflect.Array;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The HDF5 side of {@link KerasH5Writer}: writes the groups, attributes and weight datasets of a Keras 2
 * full-model file with jhdf (the layout and how it differs from h5py's is described there), then removes jhdf's
 * provenance text from the end of the file.
 */
final class KerasH5File {
    /** Size of a version 2/3 superblock with 8-byte offsets, its checksum included. */
    private static final int SUPERBLOCK_SIZE = 48;

    private KerasH5File() {}

    /**
     * Writes a new file {@code file}.
     *
     * @param modelConfig the {@code model_config} JSON
     * @param trainingConfig the {@code training_config} JSON, or null for none
     * @param layers the layers; those with weights get a group under {@code model_weights}
     */
    static void write(Path file, String modelConfig, String trainingConfig, List<RebuiltLayer> layers)
            throws IOException {
        try (WritableHdfFile h5 = HdfFile.write(file)) {
            h5.removeAttribute("_jHDF");
            h5.putAttribute("model_config", modelConfig);
            if (trainingConfig != null) {
                h5.putAttribute("training_config", trainingConfig);
            }
            h5.putAttribute("keras_version", KerasH5Writer.KERAS_VERSION);
            h5.putAttribute("backend", KerasH5Writer.BACKEND);
            WritableGroup weights = h5.putGroup("model_weights");
            List<String> withWeights = new ArrayList<>();
            for (RebuiltLayer l : layers) {
                if (!l.weights().isEmpty()) {
                    withWeights.add(l.name());
                }
            }
            if (!withWeights.isEmpty()) {
                weights.putAttribute("layer_names", withWeights.toArray(new String[0]));
            }
            weights.putAttribute("backend", KerasH5Writer.BACKEND);
            weights.putAttribute("keras_version", KerasH5Writer.KERAS_VERSION);
            for (RebuiltLayer l : layers) {
                if (l.weights().isEmpty()) {
                    continue;
                }
                WritableGroup lg = weights.putGroup(l.name());
                String[] names = new String[l.weights().size()];
                for (int i = 0; i < names.length; i++) {
                    names[i] = l.name() + "/" + l.weights().get(i).key() + ":0";
                }
                lg.putAttribute("weight_names", names);
                WritableGroup inner = lg.putGroup(l.name());
                for (RebuiltLayer.Weight w : l.weights()) {
                    inner.putDataset(w.key() + ":0", nested(w.values(), w.shape()));
                }
            }
        }
        dropProvenanceTrailer(file);
    }

    /** A row-major float array as a nested Java array of {@code shape} (jhdf takes the shape from the nesting). */
    private static Object nested(float[] values, int[] shape) {
        if (shape.length == 0) {
            throw new IllegalArgumentException("scalar weights are not supported");
        }
        Object array = Array.newInstance(float.class, shape);
        fill(array, shape, 0, values, 0);
        return array;
    }

    private static int fill(Object array, int[] shape, int axis, float[] values, int offset) {
        if (axis == shape.length - 1) {
            float[] row = (float[]) array;
            System.arraycopy(values, offset, row, 0, row.length);
            return offset + row.length;
        }
        for (int i = 0; i < shape[axis]; i++) {
            offset = fill(Array.get(array, i), shape, axis + 1, values, offset);
        }
        return offset;
    }

    /**
     * jhdf ends every file it writes with the text {@code jHDF - <version> - <os> - <arch> - <byte order>}, after
     * the last HDF5 object and inside the end-of-file address; nothing refers to it. Removes it and rewrites the
     * version 2/3 superblock's end-of-file address and checksum, so that the bytes depend only on the model. Leaves
     * the file alone when it does not look exactly like that (another jhdf version, say).
     */
    private static void dropProvenanceTrailer(Path file) throws IOException {
        byte[] trailer = ("jHDF - " + JhdfInfo.VERSION + " - " + JhdfInfo.OS + " - " + JhdfInfo.ARCH + " - "
                        + JhdfInfo.BYTE_ORDER)
                .getBytes(StandardCharsets.UTF_8);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long size = ch.size();
            if (size < SUPERBLOCK_SIZE + trailer.length) {
                return;
            }
            ByteBuffer sb = ByteBuffer.allocate(SUPERBLOCK_SIZE).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, sb, 0);
            ByteBuffer tail = ByteBuffer.allocate(trailer.length);
            readFully(ch, tail, size - trailer.length);
            byte[] signature = {(byte) 0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
            boolean v2 = Arrays.equals(Arrays.copyOf(sb.array(), 8), signature)
                    && (sb.get(8) == 2 || sb.get(8) == 3)
                    && sb.get(9) == 8
                    && sb.get(10) == 8
                    && sb.getLong(12) == 0
                    && sb.getLong(28) == size
                    && sb.getInt(44) == ChecksumUtils.checksum(Arrays.copyOf(sb.array(), 44));
            if (!v2 || !Arrays.equals(tail.array(), trailer)) {
                return;
            }
            long end = size - trailer.length;
            sb.putLong(28, end);
            sb.putInt(44, ChecksumUtils.checksum(Arrays.copyOf(sb.array(), 44)));
            sb.rewind();
            while (sb.hasRemaining()) {
                ch.write(sb, sb.position());
            }
            ch.truncate(end);
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long position) throws IOException {
        while (b.hasRemaining()) {
            if (ch.read(b, position + b.position()) < 0) {
                throw new IOException("unexpected end of file");
            }
        }
    }
}
