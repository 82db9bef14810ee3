package dev.quanta.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quanta.QuantaException;
import dev.quanta.testing.CoreArrays;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class SampleTypeTest {

    @Test
    void parsesNamesAndAliases() {
        assertThat(SampleType.parse("uint8")).isEqualTo(SampleType.UINT8);
        assertThat(SampleType.parse(" INT8 ")).isEqualTo(SampleType.INT8);
        assertThat(SampleType.parse("int16")).isEqualTo(SampleType.INT16);
        assertThat(SampleType.parse("i32")).isEqualTo(SampleType.INT32);
        assertThat(SampleType.parse("float32")).isEqualTo(SampleType.FLOAT32);
        assertThat(SampleType.parse("float")).isEqualTo(SampleType.FLOAT32);
        assertThat(SampleType.parse("double")).isEqualTo(SampleType.FLOAT64);
        assertThat(SampleType.FLOAT64.bytes()).isEqualTo(8);
        assertThat(SampleType.INT16.label()).isEqualTo("int16");
        assertThatThrownBy(() -> SampleType.parse("uint16"))
                .isInstanceOf(QuantaException.class)
                .hasMessage(
                        "unknown sample type 'uint16'; expected one of uint8, int8, int16, int32, float32, float64");
    }

    @Test
    void decodesEachTypeInBothByteOrders() {
        float[] out = new float[3];
        SampleType.UINT8.decode(CoreArrays.bytes(0, 255, 128), 0, false, out, 0, 3);
        assertThat(out).containsExactly(0f, 255f, 128f);
        SampleType.INT8.decode(CoreArrays.bytes(0, 255, 128), 0, false, out, 0, 3);
        assertThat(out).containsExactly(0f, -1f, -128f);
        SampleType.INT16.decode(CoreArrays.bytes(9, 0x01, 0xFF), 1, false, out, 0, 1);
        assertThat(out[0]).isEqualTo(-255f); // 0xFF01 little-endian
        SampleType.INT16.decode(CoreArrays.bytes(0x01, 0xFF), 0, true, out, 1, 1);
        assertThat(out[1]).isEqualTo(511f); // 0x01FF big-endian
        SampleType.INT32.decode(ByteBuffer.allocate(4).putInt(-70000).array(), 0, true, out, 0, 1);
        assertThat(out[0]).isEqualTo(-70000f);
        SampleType.FLOAT32.decode(TestFiles.floatsLE(1.5f, -2.25f), 0, false, out, 0, 2);
        assertThat(out).startsWith(1.5f, -2.25f);
        SampleType.FLOAT64.decode(TestFiles.doublesLE(0.1), 0, false, out, 2, 1);
        assertThat(out[2]).isEqualTo(0.1f);
    }

    @Test
    void labelFormatParses() {
        assertThat(LabelFormat.parse("one-hot")).isEqualTo(LabelFormat.ONE_HOT);
        assertThat(LabelFormat.parse("OneHot")).isEqualTo(LabelFormat.ONE_HOT);
        assertThat(LabelFormat.parse("index")).isEqualTo(LabelFormat.INDEX);
        assertThatThrownBy(() -> LabelFormat.parse("soft"))
                .isInstanceOf(QuantaException.class)
                .hasMessage("unknown label format 'soft'; expected index or one-hot");
    }
}
