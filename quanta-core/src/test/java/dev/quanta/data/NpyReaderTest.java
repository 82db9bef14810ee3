package dev.quanta.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quanta.QuantaException;
import dev.quanta.testing.CoreArrays;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.UsesFixtures;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyReaderTest {
    @TempDir
    Path tmp;

    private Path npy(String name, byte[] content) {
        return TestFiles.write(tmp.resolve(name), content);
    }

    @Test
    void readsFloatDtypes() {
        NpyArray f4 = NpyReader.read(
                npy("f4.npy", TestFiles.npy(1, "<f4", false, "(2, 3)", TestFiles.floatsLE(1, 2, 3, -4, 5.5f, 6))));
        assertThat(f4.dtype()).isEqualTo("<f4");
        assertThat(f4.shape()).containsExactly(2, 3);
        assertThat(f4.floatData()).containsExactly(1, 2, 3, -4, 5.5f, 6);
        assertThat(f4.doubleData()).isNull();
        assertThat(f4.isIntegral()).isFalse();

        NpyArray f8 =
                NpyReader.read(npy("f8.npy", TestFiles.npy(1, "<f8", false, "(2,)", TestFiles.doublesLE(0.1, -1e300))));
        assertThat(f8.doubleData()).containsExactly(0.1, -1e300);
        assertThat(f8.toFloatArray()).containsExactly(0.1f, Float.NEGATIVE_INFINITY);

        ByteBuffer be = TestFiles.buffer(8, true).putFloat(2.5f).putFloat(-0.75f);
        assertThat(NpyReader.read(npy("bf4.npy", TestFiles.npy(1, ">f4", false, "(2,)", be.array())))
                        .floatData())
                .containsExactly(2.5f, -0.75f);
        ByteBuffer half = TestFiles.buffer(4, false).putShort((short) 0x3C00).putShort((short) 0xC000);
        assertThat(NpyReader.read(npy("f2.npy", TestFiles.npy(1, "<f2", false, "(2,)", half.array())))
                        .floatData())
                .containsExactly(1f, -2f);
    }

    @Test
    void readsIntegerAndBoolDtypes() {
        assertThat(NpyReader.read(npy("u1.npy", TestFiles.npy(1, "|u1", false, "(3,)", CoreArrays.bytes(0, 128, 255))))
                        .floatData())
                .containsExactly(0, 128, 255);
        assertThat(NpyReader.read(npy("i1.npy", TestFiles.npy(1, "|i1", false, "(3,)", CoreArrays.bytes(0, 128, 255))))
                        .floatData())
                .containsExactly(0, -128, -1);
        ByteBuffer i2 = TestFiles.buffer(4, false).putShort((short) -2).putShort((short) 300);
        assertThat(NpyReader.read(npy("i2.npy", TestFiles.npy(1, "<i2", false, "(1, 2)", i2.array())))
                        .floatData())
                .containsExactly(-2, 300);
        ByteBuffer i2be = TestFiles.buffer(4, true).putShort((short) -2).putShort((short) 300);
        assertThat(NpyReader.read(npy("bi2.npy", TestFiles.npy(1, ">i2", false, "(2,)", i2be.array())))
                        .floatData())
                .containsExactly(-2, 300);
        ByteBuffer i4 = TestFiles.buffer(8, false).putInt(-100000).putInt(16777217);
        NpyArray a4 = NpyReader.read(npy("i4.npy", TestFiles.npy(1, "<i4", false, "(2,)", i4.array())));
        assertThat(a4.doubleData()).containsExactly(-100000, 16777217);
        assertThat(a4.isIntegral()).isTrue();
        ByteBuffer i8 = TestFiles.buffer(16, false).putLong(-3).putLong(1L << 40);
        assertThat(NpyReader.read(npy("i8.npy", TestFiles.npy(1, "<i8", false, "(2,)", i8.array())))
                        .doubleData())
                .containsExactly(-3, 1099511627776.0);
        ByteBuffer u8 = TestFiles.buffer(8, false).putLong(-1L);
        assertThat(NpyReader.read(npy("u8.npy", TestFiles.npy(1, "<u8", false, "(1,)", u8.array())))
                        .get(0))
                .isEqualTo(18446744073709551615.0);
        ByteBuffer u2 = TestFiles.buffer(2, false).putShort((short) 0xFFFF);
        assertThat(NpyReader.read(npy("u2.npy", TestFiles.npy(1, "<u2", false, "(1,)", u2.array())))
                        .get(0))
                .isEqualTo(65535.0);
        assertThat(NpyReader.read(npy("b1.npy", TestFiles.npy(1, "|b1", false, "(3,)", CoreArrays.bytes(1, 0, 1))))
                        .floatData())
                .containsExactly(1, 0, 1);
    }

    @Test
    void headerVariants() {
        // v2 and v3 headers, double quotes, no trailing comma, scalar shape
        NpyArray v2 = NpyReader.read(npy(
                "v2.npy",
                TestFiles.npyRaw(
                        2,
                        "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (1, 1)}",
                        TestFiles.floatsLE(7))));
        assertThat(v2.shape()).containsExactly(1, 1);
        assertThat(v2.get(0)).isEqualTo(7.0);
        NpyArray v3 = NpyReader.read(npy("v3.npy", TestFiles.npy(3, "<f4", false, "()", TestFiles.floatsLE(9))));
        assertThat(v3.ndim()).isZero();
        assertThat(v3.size()).isEqualTo(1);
        NpyArray empty = NpyReader.read(npy("e.npy", TestFiles.npy(1, "<f4", false, "(0, 5)", new byte[0])));
        assertThat(empty.size()).isZero();
    }

    @Test
    @UsesFixtures
    void realNumpyFile() {
        NpyArray idx = NpyReader.read(Fixtures.require("mlperf-tiny/ic/perf_samples_idxs.npy"));
        assertThat(idx.dtype()).isEqualTo("<i8");
        assertThat(idx.shape()).containsExactly(200);
        assertThat(Arrays.copyOf(idx.doubleData(), 5)).containsExactly(7657, 8959, 3596, 327, 2783);
    }

    @Test
    void errors() {
        Path fortran = npy("fo.npy", TestFiles.npy(1, "<f4", true, "(1,)", TestFiles.floatsLE(1)));
        assertThatThrownBy(() -> NpyReader.read(fortran))
                .isInstanceOf(QuantaException.class)
                .hasMessage(fortran + ": fortran_order True (column-major) is not supported; save the array with "
                        + "np.ascontiguousarray(a)");
        Path magic = npy("m.npy", "PK\u0003\u0004 not numpy".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        assertThatThrownBy(() -> NpyReader.read(magic))
                .hasMessage(magic + ": bad magic at offset 0: expected \\x93NUMPY, found 0x504b0304206e");
        byte[] full = TestFiles.npy(1, "<f4", false, "(4,)", TestFiles.floatsLE(1, 2, 3, 4));
        Path cut = npy("cut.npy", Arrays.copyOf(full, full.length - 3));
        assertThatThrownBy(() -> NpyReader.read(cut))
                .hasMessage(cut + ": truncated: shape (4,) <f4 needs 16 data bytes from offset 128, found 13");
        Path cutHeader = npy("ch.npy", Arrays.copyOf(full, 30));
        assertThatThrownBy(() -> NpyReader.read(cutHeader))
                .hasMessage(cutHeader + ": truncated header: declares 118 header bytes from offset 10, found 20");
        Path obj = npy("o.npy", TestFiles.npy(1, "|O", false, "(1,)", new byte[8]));
        assertThatThrownBy(() -> NpyReader.read(obj)).hasMessageContaining("unsupported dtype '|O' (object arrays");
        Path str = npy("s.npy", TestFiles.npy(1, "<U3", false, "(1,)", new byte[12]));
        assertThatThrownBy(() -> NpyReader.read(str)).hasMessageContaining("unsupported dtype '<U3'");
        Path structured = npy(
                "st.npy",
                TestFiles.npyRaw(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", new byte[4]));
        assertThatThrownBy(() -> NpyReader.read(structured)).hasMessageContaining("structured dtype");
        Path version = npy("ver.npy", CoreArrays.bytes(0x93, 'N', 'U', 'M', 'P', 'Y', 4, 0, 0, 0, 0, 0));
        assertThatThrownBy(() -> NpyReader.read(version))
                .hasMessageContaining("unsupported .npy format version 4.0 at offset 6");
        Path garbage = npy("g.npy", TestFiles.npyRaw(1, "{'descr': '<f4', 'shape': (1,, }", new byte[4]));
        assertThatThrownBy(() -> NpyReader.read(garbage)).hasMessageContaining("malformed header at offset 10");
        Path missingKey = npy("k.npy", TestFiles.npyRaw(1, "{'descr': '<f4', 'shape': (1,)}", new byte[4]));
        assertThatThrownBy(() -> NpyReader.read(missingKey))
                .hasMessageContaining("needs keys 'descr', 'fortran_order'");
        assertThatThrownBy(() -> NpyReader.read(tmp.resolve("absent.npy")))
                .hasMessage(tmp.resolve("absent.npy") + ": NumPy .npy file not found");
    }

    @Test
    @UsesFixtures
    void npzFixture() {
        Path file = Fixtures.require("mlperf-tiny/sww/calibration_samples.npz");
        assertThat(NpzReader.names(file)).containsExactly("specs", "labels");
        Map<String, NpyArray> all = NpzReader.read(file);
        NpyArray specs = all.get("specs");
        assertThat(specs.dtype()).isEqualTo("<f8");
        assertThat(specs.shape()).containsExactly(45, 30, 1, 40);
        // specs[0, 10, 0, 5] and specs[44, 29, 0, 39]
        assertThat(specs.get(10 * 40 + 5)).isEqualTo(0.003549933433532715);
        assertThat(specs.get(44 * 1200 + 29 * 40 + 39)).isEqualTo(0.7575094699859619);
        assertThat(all.get("labels").shape()).containsExactly(45);
        assertThat(NpzReader.read(file, "labels").get(0)).isEqualTo(2.0);
        assertThatThrownBy(() -> NpzReader.read(file, "x"))
                .isInstanceOf(QuantaException.class)
                .hasMessage(file + ": no array 'x' in the archive; it holds [specs, labels]");
    }

    @Test
    void npzStoredAndDeflatedWrittenHere() {
        byte[] a = TestFiles.npy(1, "<f4", false, "(2,)", TestFiles.floatsLE(1, 2));
        byte[] b = TestFiles.npy(1, "|u1", false, "(2,)", CoreArrays.bytes(3, 4));
        for (boolean stored : new boolean[] {true, false}) {
            Path z = TestFiles.write(
                    tmp.resolve("t" + stored + ".npz"),
                    TestFiles.zip(stored, "a.npy", a, "b.npy", b, "readme.txt", new byte[] {1}));
            Map<String, NpyArray> m = NpzReader.read(z);
            assertThat(m).containsOnlyKeys("a", "b");
            assertThat(m.get("a").floatData()).containsExactly(1, 2);
            assertThat(m.get("b").floatData()).containsExactly(3, 4);
        }
    }

    @Test
    @UsesFixtures
    void npzErrors() {
        Path src = Fixtures.require("mlperf-tiny/sww/calibration_samples.npz");
        Path cut = TestFiles.truncatedCopy(src, tmp.resolve("cut.npz"), 100000);
        assertThatThrownBy(() -> NpzReader.read(cut))
                .isInstanceOf(QuantaException.class)
                .hasMessageStartingWith(cut + ": not a valid .npz (zip) archive, or truncated");
        byte[] bad = TestFiles.npy(1, "<f4", true, "(1,)", TestFiles.floatsLE(1));
        Path z = TestFiles.write(tmp.resolve("bad.npz"), TestFiles.zip(false, "x.npy", bad));
        assertThatThrownBy(() -> NpzReader.read(z)).hasMessageStartingWith(z + ": array 'x': fortran_order True");
        Path notZip = TestFiles.write(tmp.resolve("nz.npz"), "hello");
        assertThatThrownBy(() -> NpzReader.names(notZip)).hasMessageContaining("not a valid .npz (zip) archive");
    }
}
