package dev.quanta.spark;

import dev.quanta.QuantaException;
import dev.quanta.data.Dataset;
import dev.quanta.eval.Evaluator;
import dev.quanta.spark.ExecutorCache.ModelBytes;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/** The executor side of batch inference: tasks over sample ranges or over rows, and the SQL functions' runs. */
final class PredictTasks {
    /** Batches each interpreter is given per round, as in {@link Evaluator}. */
    private static final int BATCHES_PER_INTERPRETER = 4;

    private PredictTasks() {}

    /** The prediction columns of one sample whose output is {@code y[off .. off + n)}. */
    static Object[] predictionValues(float[] y, int off, int n, int topK) {
        if (topK > 0) {
            int[] classes = BatchPredictor.topK(y, off, n, topK);
            float[] scores = new float[classes.length];
            for (int i = 0; i < classes.length; i++) {
                scores[i] = y[off + classes[i]];
            }
            return new Object[] {classes, scores};
        }
        float[] out = new float[n];
        System.arraycopy(y, off, out, 0, n);
        return new Object[] {out};
    }

    /** Reads one sample of {@code size} values from an array of floats or doubles, or float32 little-endian bytes. */
    static void readSample(Object value, int size, String column, float[] dst, int off) {
        if (value == null) {
            throw new QuantaException("column '" + column + "': a row has no sample (null)");
        }
        if (value instanceof byte[] b) {
            if (b.length != 4L * size) {
                throw new QuantaException("column '" + column + "': a row has " + b.length + " bytes (" + b.length / 4
                        + " float32 values), but the model input takes " + size + " values");
            }
            ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(dst, off, size);
            return;
        }
        List<?> list = value instanceof scala.collection.Seq<?> seq
                ? scala.jdk.javaapi.CollectionConverters.asJava(seq)
                : value instanceof List<?> l ? l : null;
        if (list == null) {
            throw new QuantaException("column '" + column + "': a row holds "
                    + value.getClass().getSimpleName() + ", not an array of floats");
        }
        if (list.size() != size) {
            throw new QuantaException(
                    "column '" + column + "': a row has " + list.size() + " values, but the model input takes " + size);
        }
        for (int i = 0; i < size; i++) {
            Object v = list.get(i);
            if (v == null) {
                throw new QuantaException("column '" + column + "': a row has a null at value " + i);
            }
            dst[off + i] = ((Number) v).floatValue();
        }
    }

    /** A task: one row per sample of a range of the dataset (sample, label, predictions). */
    record PredictRange(
            Broadcast<ModelBytes> bytes, SampleSource source, int outputSize, int topK, Evaluator.Options options)
            implements FlatMapFunction<int[], Row> {
        @Override
        public Iterator<Row> call(int[] range) {
            ModelBytes file = bytes.value();
            // the range alone: its sample s is sample range[0] + s of the dataset
            Dataset data = ExecutorCache.range(file, source, range[0], range[1]);
            int d = data.sampleSize();
            int n = data.size();
            int batch = options.batchSize();
            int round = options.parallel() * BATCHES_PER_INTERPRETER;
            List<Row> rows = new ArrayList<>(n);
            for (int s = 0; s < n; ) {
                List<float[]> batches = new ArrayList<>(round);
                for (int r = 0, at = s; r < round && at < n; r++) {
                    int count = Math.min(batch, n - at);
                    float[] in = new float[count * d];
                    data.copyBatch(at, count, in);
                    batches.add(in);
                    at += count;
                }
                for (float[] y : ExecutorCache.predict(file, options.parallel(), batches)) {
                    int count = y.length / outputSize;
                    for (int i = 0; i < count; i++) {
                        Object[] p = predictionValues(y, i * outputSize, outputSize, topK);
                        Object[] row = new Object[2 + p.length];
                        row[0] = (long) (range[0] + s + i);
                        row[1] = data.hasLabels() ? data.label(s + i) : null;
                        System.arraycopy(p, 0, row, 2, p.length);
                        rows.add(RowFactory.create(row));
                    }
                    s += count;
                }
            }
            return rows.iterator();
        }
    }

    /** A task: the rows of a partition with their sample column replaced by the prediction columns. */
    record PredictRows(
            Broadcast<ModelBytes> bytes,
            String column,
            int featureAt,
            int inputSize,
            int outputSize,
            int topK,
            Evaluator.Options options)
            implements MapPartitionsFunction<Row, Row> {
        @Override
        public Iterator<Row> call(Iterator<Row> input) {
            ModelBytes file = bytes.value();
            int batch = options.batchSize();
            int round = options.parallel() * BATCHES_PER_INTERPRETER;
            return new Iterator<>() {
                private final List<Row> ready = new ArrayList<>();
                private int next;

                @Override
                public boolean hasNext() {
                    if (next < ready.size()) {
                        return true;
                    }
                    ready.clear();
                    next = 0;
                    List<Row> read = new ArrayList<>();
                    while (read.size() < batch * round && input.hasNext()) {
                        read.add(input.next());
                    }
                    if (read.isEmpty()) {
                        return false;
                    }
                    List<float[]> batches = new ArrayList<>();
                    for (int from = 0; from < read.size(); from += batch) {
                        int count = Math.min(batch, read.size() - from);
                        float[] in = new float[count * inputSize];
                        for (int i = 0; i < count; i++) {
                            readSample(read.get(from + i).get(featureAt), inputSize, column, in, i * inputSize);
                        }
                        batches.add(in);
                    }
                    int r = 0;
                    for (float[] y : ExecutorCache.predict(file, options.parallel(), batches)) {
                        for (int i = 0; i < y.length / outputSize; i++, r++) {
                            Row in = read.get(r);
                            Object[] p = predictionValues(y, i * outputSize, outputSize, topK);
                            Object[] row = new Object[in.length() - 1 + p.length];
                            for (int c = 0, o = 0; c < in.length(); c++) {
                                if (c != featureAt) {
                                    row[o++] = in.get(c);
                                }
                            }
                            System.arraycopy(p, 0, row, in.length() - 1, p.length);
                            ready.add(RowFactory.create(row));
                        }
                    }
                    return true;
                }

                @Override
                public Row next() {
                    if (!hasNext()) {
                        throw new java.util.NoSuchElementException();
                    }
                    return ready.get(next++);
                }
            };
        }
    }
}
