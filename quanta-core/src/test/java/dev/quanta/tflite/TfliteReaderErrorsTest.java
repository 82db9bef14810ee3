package dev.quanta.tflite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.quanta.QuantaException;
import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.Tensor;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.UsesFixtures;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Malformed, hostile and unsupported files give one-line {@link QuantaException}s naming the file. */
class TfliteReaderErrorsTest {

    @TempDir
    Path tmp;

    private static final Path NAME = Path.of("mutated.tflite");

    private static byte[] fixture(String relative) {
        return TfliteSamples.bytes(Fixtures.require(relative));
    }

    /** Reading {@code bytes} fails with a one-line QuantaException that names the file and contains {@code what}. */
    private static void assertRejected(byte[] bytes, String... what) {
        Throwable t = catchThrowable(() -> TfliteReader.read(bytes, NAME));
        assertThat(t).isInstanceOf(QuantaException.class);
        assertThat(t.getMessage()).startsWith(NAME + ": ").doesNotContain("\n");
        for (String w : what) {
            assertThat(t.getMessage()).contains(w);
        }
    }

    /** Reading either succeeds or fails with a one-line QuantaException naming the file; nothing else. */
    private static boolean readsOrRejectsCleanly(byte[] bytes) {
        try {
            TfliteReader.read(bytes, NAME);
            return true;
        } catch (QuantaException e) {
            assertThat(e.getMessage()).startsWith(NAME + ": ").doesNotContain("\n");
            return false;
        }
    }

    // ------------------------------------------------------------------ navigating raw flatbuffers

    /** Minimal raw flatbuffer navigation, to find where to mutate a copy of a real file. */
    private record Raw(ByteBuffer bb) {
        Raw(byte[] b) {
            this(ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN));
        }

        int root() {
            return bb.getInt(0);
        }

        /** Absolute position of field {@code id} of the table at {@code table}, or -1. */
        int field(int table, int id) {
            int vt = table - bb.getInt(table);
            int slot = 4 + 2 * id;
            if (slot >= bb.getShort(vt)) {
                return -1;
            }
            int o = bb.getShort(vt + slot);
            return o == 0 ? -1 : table + o;
        }

        int deref(int at) {
            return at + bb.getInt(at);
        }

        /** Position of element {@code i} (4-byte elements) of the vector in field {@code id}. */
        int element(int table, int id, int i) {
            return deref(field(table, id)) + 4 + 4 * i;
        }

        int tableAt(int table, int id, int i) {
            return deref(element(table, id, i));
        }

        int subgraph() {
            return tableAt(root(), TfliteSchema.ModelF.SUBGRAPHS, 0);
        }
    }

    // ------------------------------------------------------------------ tests

    @Test
    void missingFile() {
        Path missing = tmp.resolve("nope.tflite");
        assertThatThrownBy(() -> TfliteReader.read(missing))
                .isInstanceOf(QuantaException.class)
                .hasMessage(missing + ": no such file");
    }

    @Test
    @UsesFixtures
    void truncatedFiles() {
        byte[] full = fixture("mlperf-tiny/ic/pretrainedResnet.tflite");
        for (int length : new int[] {0, 4, 7}) {
            assertRejected(java.util.Arrays.copyOf(full, length), "too short");
        }
        for (int length : new int[] {8, 20, 100, 1000, full.length / 2, full.length - 200}) {
            assertRejected(java.util.Arrays.copyOf(full, length));
        }
        assertRejected(java.util.Arrays.copyOf(full, full.length / 2), "past the end");
        // wherever the cut falls, the reader either still finds everything it needs or says what is missing
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < 200; i++) {
            readsOrRejectsCleanly(java.util.Arrays.copyOf(full, r.nextInt(full.length)));
        }
    }

    @Test
    void randomBytes() {
        SplittableRandom r = new SplittableRandom(2);
        for (int i = 0; i < 300; i++) {
            byte[] b = TfliteSamples.randomBytes(r, 8 + r.nextInt(4096));
            if (i % 2 == 0) {
                System.arraycopy("TFL3".getBytes(StandardCharsets.US_ASCII), 0, b, 4, 4);
                assertRejected(b);
            } else {
                assertRejected(b, "file identifier");
            }
        }
    }

    @Test
    @UsesFixtures
    void wrongIdentifierAndSchemaVersion() {
        byte[] b = fixture("tflite-micro/hello_world/hello_world_float.tflite");
        b[7] = '2';
        assertRejected(b, "file identifier is 'TFL2', expected 'TFL3'");

        byte[] v = fixture("tflite-micro/hello_world/hello_world_float.tflite");
        Raw raw = new Raw(v);
        raw.bb().putInt(raw.field(raw.root(), TfliteSchema.ModelF.VERSION), 2);
        assertRejected(v, "schema version 2");
    }

    @Test
    @UsesFixtures
    void outOfRangeTensorIndices() {
        byte[] b = fixture("mlperf-tiny/ic/pretrainedResnet.tflite");
        Raw raw = new Raw(b);
        int op0 = raw.tableAt(raw.subgraph(), TfliteSchema.SubGraphF.OPERATORS, 0);
        raw.bb().putInt(raw.element(op0, TfliteSchema.OperatorF.INPUTS, 1), 9999);
        assertRejected(b, "operator #0 (CONV_2D) input refers to tensor index 9999", "38 tensors");

        byte[] c = fixture("mlperf-tiny/ic/pretrainedResnet.tflite");
        raw = new Raw(c);
        raw.bb().putInt(raw.element(raw.subgraph(), TfliteSchema.SubGraphF.INPUTS, 0), -5);
        assertRejected(c, "graph input refers to tensor index -5");

        byte[] d = fixture("mlperf-tiny/ic/pretrainedResnet.tflite");
        raw = new Raw(d);
        int op3 = raw.tableAt(raw.subgraph(), TfliteSchema.SubGraphF.OPERATORS, 3);
        raw.bb().putInt(raw.element(op3, TfliteSchema.OperatorF.OUTPUTS, 0), 38);
        assertRejected(d, "operator #3 (ADD) output refers to tensor index 38");
    }

    @Test
    @UsesFixtures
    void missingBufferAndBadOpcodeIndex() {
        byte[] b = fixture("mlperf-tiny/ic/pretrainedResnet.tflite");
        Raw raw = new Raw(b);
        int weights = raw.tableAt(raw.subgraph(), TfliteSchema.SubGraphF.TENSORS, 8);
        raw.bb().putInt(raw.field(weights, TfliteSchema.TensorF.BUFFER), 4000);
        assertRejected(b, "tensor #8 'model/conv2d/Conv2D' refers to buffer 4000 but the model has 40 buffers");

        byte[] c = fixture("mlperf-tiny/ic/pretrainedResnet.tflite");
        raw = new Raw(c);
        int op3 = raw.tableAt(raw.subgraph(), TfliteSchema.SubGraphF.OPERATORS, 3); // ADD: opcode index 1
        raw.bb().putInt(raw.field(op3, TfliteSchema.OperatorF.OPCODE_INDEX), 77);
        assertRejected(c, "operator #3 uses opcode index 77 but the model has 6 operator codes");
    }

    @Test
    @UsesFixtures
    void offsetsPointingOutsideTheFile() {
        byte[] b = fixture("mlperf-tiny/ic/pretrainedResnet.tflite");
        Raw raw = new Raw(b);
        int t0 = raw.tableAt(raw.subgraph(), TfliteSchema.SubGraphF.TENSORS, 0);
        raw.bb().putInt(raw.field(t0, TfliteSchema.TensorF.SHAPE), 0x7FFFFFF0);
        assertRejected(b, "tensor #0", "shape");

        byte[] c = fixture("mlperf-tiny/ic/pretrainedResnet.tflite");
        raw = new Raw(c);
        int t1 = raw.tableAt(raw.subgraph(), TfliteSchema.SubGraphF.TENSORS, 1);
        int shape = raw.deref(raw.field(t1, TfliteSchema.TensorF.SHAPE));
        raw.bb().putInt(shape, 1_000_000_000); // vector length far beyond the file
        assertRejected(c, "tensor #1", "1000000000 elements");

        byte[] d = fixture("mlperf-tiny/ic/pretrainedResnet.tflite");
        new Raw(d).bb().putInt(0, -16); // root offset
        assertRejected(d);
    }

    /** Many tensors sharing one huge shape vector cannot make the reader do (or allocate) unbounded work. */
    @Test
    void aliasedVectorsAreBounded() {
        TfliteBuilder b = new TfliteBuilder(1 << 20);
        int shared = b.ints(new int[100_000]);
        int[] tensors = new int[2000];
        for (int i = 0; i < tensors.length; i++) {
            b.fb.startTable(TfliteSchema.TensorF.COUNT);
            b.fb.addOffset(TfliteSchema.TensorF.SHAPE, shared, 0);
            tensors[i] = b.fb.endTable();
        }
        int subgraph = b.subgraph(tensors, new int[] {0}, new int[] {0}, new int[0], "main");
        byte[] file = b.finishModel(
                new int[0], new int[] {subgraph}, "hostile", new int[] {b.buffer(null)}, new int[0], new int[0]);
        assertThat(file.length).isLessThan(500_000); // 2000 × 400 kB of shapes if each were read in full
        long start = System.nanoTime();
        assertRejected(file, "far more data than the file holds");
        assertThat((System.nanoTime() - start) / 1e9).isLessThan(5);
    }

    @Test
    @UsesFixtures
    void bitFlipsNeverEscapeAsOtherExceptions() {
        byte[] original = fixture("tflite-micro/hello_world/hello_world_float.tflite");
        SplittableRandom r = new SplittableRandom(3);
        int read = 0;
        for (int i = 0; i < 3000; i++) {
            byte[] b = original.clone();
            int flips = 1 + r.nextInt(4);
            for (int k = 0; k < flips; k++) {
                int at = r.nextInt(b.length);
                b[at] = (byte) (r.nextBoolean() ? b[at] ^ (1 << r.nextInt(8)) : r.nextInt(256));
            }
            if (readsOrRejectsCleanly(b)) {
                read++;
            }
        }
        System.out.printf("bit flips: %d of 3000 mutated hello_world files still read%n", read);
    }

    @Test
    @UsesFixtures
    void unsupportedOperatorsAreNamed() {
        // mobilenet_v2's first operator, a TRANSPOSE (supported), relabelled LSH_PROJECTION (builtin code 15, not
        // supported)
        byte[] b = fixture("tflite-micro/mobilenet_v2/mobilenet_v2_quantized_1x3x224x224.tflite");
        Raw raw = new Raw(b);
        int op0 = raw.tableAt(raw.subgraph(), TfliteSchema.SubGraphF.OPERATORS, 0);
        int opcodeField = raw.field(op0, TfliteSchema.OperatorF.OPCODE_INDEX);
        int opcodeIndex = opcodeField < 0 ? 0 : raw.bb().getInt(opcodeField);
        int code = raw.tableAt(raw.root(), TfliteSchema.ModelF.OPERATOR_CODES, opcodeIndex);
        int deprecated = raw.field(code, TfliteSchema.OperatorCodeF.DEPRECATED_BUILTIN_CODE);
        int builtin = raw.field(code, TfliteSchema.OperatorCodeF.BUILTIN_CODE);
        assertThat(deprecated >= 0 ? b[deprecated] : raw.bb().getInt(builtin)).isEqualTo(39);
        if (deprecated >= 0) {
            b[deprecated] = 15;
        }
        if (builtin >= 0) {
            raw.bb().putInt(builtin, 15);
        }
        assertThatThrownBy(() -> TfliteReader.read(b, NAME))
                .isInstanceOf(QuantaException.class)
                .hasMessageContaining("LSH_PROJECTION (builtin code 15)");
    }

    /** Replaces the quantization of the weights of the first op (a per-channel conv) in a copy of the model. */
    private static Model withWeightQuant(Model m, QuantParams q) {
        Op first = m.ops().get(0);
        Tensor w = first.input(1);
        Tensor bad = new Tensor(w.name(), w.shape(), w.dtype(), w.data(), q, w.trainable());
        List<Op> ops = new ArrayList<>(m.ops());
        List<Tensor> in = new ArrayList<>(first.inputs());
        in.set(1, bad);
        ops.set(0, new Op(first.name(), first.type(), in, first.outputs(), first.attributes(), first.origin()));
        return new Model(m.name(), m.inputs(), m.outputs(), ops, m.metadata());
    }

    @Test
    @UsesFixtures
    void quantizedDimensionOutOfRangeOrNotMatchingTheScales() {
        Model ic = TfliteReader.read(Fixtures.require("mlperf-tiny/ic/pretrainedResnet_quant.tflite"));
        QuantParams q = ic.ops().get(0).input(1).quant();
        assertThat(q.axis()).isZero();
        assertRejected(
                TfliteWriter.toBytes(withWeightQuant(ic, QuantParams.perAxis(q.scales(), q.zeroPoints(), 5))),
                "tensor #",
                "16 quantization scales along quantized_dimension 5, out of range for its rank 4");
        assertRejected(
                TfliteWriter.toBytes(withWeightQuant(ic, QuantParams.perAxis(q.scales(), q.zeroPoints(), 3))),
                "16 quantization scales but dimension 3 of its shape [16, 3, 3, 3] has size 3");
        // one scale with any quantized_dimension is per-tensor, as in tflite-micro
        Model fine = TfliteReader.read(
                TfliteWriter.toBytes(withWeightQuant(ic, QuantParams.perAxis(new float[] {0.01f}, new long[] {0}, 9))),
                NAME);
        assertThat(fine.ops().get(0).input(1).quant()).isEqualTo(QuantParams.perTensor(0.01f, 0));
    }

    @Test
    void aFileOnDiskWithProblemsIsNamed() throws IOException {
        Path bad = tmp.resolve("garbage.tflite");
        Files.write(bad, new byte[] {1, 2, 3, 4, 'T', 'F', 'L', '3', 0, 0, 0, 0});
        assertThatThrownBy(() -> TfliteReader.read(bad))
                .isInstanceOf(QuantaException.class)
                .hasMessageStartingWith(bad + ": ");
    }
}
