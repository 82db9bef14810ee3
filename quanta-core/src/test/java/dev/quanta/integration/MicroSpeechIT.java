package dev.quanta.integration;

import static dev.quanta.testing.CoreArrays.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quanta.data.WavAudio;
import dev.quanta.io.ModelFiles;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpType;
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.Tensor;
import dev.quanta.runtime.Interpreter;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.TfliteOracle;
import dev.quanta.testing.UsesFixtures;
import dev.quanta.testing.UsesOracle;
import dev.quanta.tflite.TfliteWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * tflite-micro's micro_speech example end to end in Quanta: the audio preprocessors (the signal-library custom
 * ops that stock TFLite cannot run, plus int32 builtin ops) turn 16 kHz speech into 49 × 40 feature frames, and
 * micro_speech_quantized classifies them (silence, unknown, yes, no).
 *
 * <p>What is checked, against tflite-micro's own expectations ({@code micro_speech_test.cc} at commit
 * {@code 90b983c}, the fixtures' source):
 * <ul>
 *   <li>the int8 features of {@code no_30ms.wav} and {@code yes_30ms.wav} equal the test's expected vectors, every
 *       one of the 40 values;</li>
 *   <li>the four one-second clips get the test's labels (no, yes, silence, and silence for noise), and
 *       {@code no_1000ms.wav} scores 'no' 0.95 as the example's README shows;</li>
 *   <li>the float preprocessor runs the same pipeline: its features are the int8 model's log-mel values times
 *       1/25.6, and map to the int8 features through the int8 model's integer tail on every frame;</li>
 *   <li>every builtin op of both preprocessors (CAST, STRIDED_SLICE, CONCATENATION, MUL, ADD, DIV, MINIMUM,
 *       MAXIMUM on int32/float32), fed Quanta's own values of its inputs, gives the official runtime's output bit
 *       for bit on every frame;</li>
 *   <li>the spectral subtraction's noise estimate persists between runs of one interpreter, and
 *       {@link Interpreter#resetVariableTensors} restores the fresh state.</li>
 * </ul>
 */
@UsesFixtures
@UsesOracle
class MicroSpeechIT {
    private static final int FRAMES = 49;
    private static final int FEATURES = 40;
    private static final int WINDOW = 480; // 30 ms at 16 kHz
    private static final int STRIDE = 320; // 20 ms
    private static final String[] LABELS = {"silence", "unknown", "yes", "no"};

    /** tflite-micro micro_speech_test.cc, NoFeatureTest and YesFeatureTest: the first frame's int8 features. */
    private static final byte[] NO_30MS = bytes(
            126, 103, 124, 102, 124, 102, 123, 100, 118, 97, 118, 100, 118, 98, 121, 100, 121, 98, 117, 91, 96, 74, 54,
            87, 100, 87, 109, 92, 91, 80, 64, 55, 83, 74, 74, 78, 114, 95, 101, 81);

    private static final byte[] YES_30MS = bytes(
            124, 105, 126, 103, 125, 101, 123, 100, 116, 98, 115, 97, 113, 90, 91, 82, 104, 96, 117, 97, 121, 103, 126,
            101, 125, 104, 126, 104, 125, 101, 116, 90, 81, 74, 80, 71, 83, 76, 82, 71);

    private static Path dir;
    private static Model preInt8;
    private static Model preFloat;
    private static Model classifier;

    @BeforeAll
    static void load() {
        dir = Fixtures.require("tflite-micro/micro_speech");
        preInt8 = ModelFiles.load(dir.resolve("audio_preprocessor_int8.tflite"));
        preFloat = ModelFiles.load(dir.resolve("audio_preprocessor_float.tflite"));
        classifier = ModelFiles.load(dir.resolve("micro_speech_quantized.tflite"));
    }

    private static short[] audio(String name) {
        WavAudio wav = WavAudio.read(dir.resolve("testdata/" + name + ".wav"));
        assertThat(wav.sampleRate()).isEqualTo(16000);
        assertThat(wav.channels()).isEqualTo(1);
        return wav.samples();
    }

    /** The int8 features of every 30 ms window (20 ms apart) that fits, as the example's GenerateFeatures does. */
    private static byte[][] features(Interpreter pre, short[] samples) {
        List<byte[]> frames = new ArrayList<>();
        for (int start = 0; start + WINDOW <= samples.length && frames.size() < FRAMES; start += STRIDE) {
            byte[] f = new byte[FEATURES];
            pre.run(Arrays.copyOfRange(samples, start, start + WINDOW), f);
            frames.add(f);
        }
        return frames.toArray(byte[][]::new);
    }

    private static float[] classify(byte[][] frames) {
        byte[] input = new byte[FRAMES * FEATURES];
        for (int i = 0; i < frames.length; i++) {
            System.arraycopy(frames[i], 0, input, i * FEATURES, FEATURES);
        }
        try (Interpreter m = new Interpreter(classifier)) {
            byte[] out = new byte[LABELS.length];
            m.run(input, out);
            QuantParams q = classifier.outputs().get(0).quant();
            float[] p = new float[out.length];
            for (int i = 0; i < out.length; i++) {
                p[i] = q.scale() * (out[i] - q.zeroPoint());
            }
            return p;
        }
    }

    @Test
    void firstFrameFeaturesEqualTfliteMicros() {
        for (String[] c : new String[][] {{"no_30ms", "no"}, {"yes_30ms", "yes"}}) {
            try (Interpreter pre = new Interpreter(preInt8)) {
                byte[][] f = features(pre, audio(c[0]));
                assertThat(f).as(c[0]).hasNumberOfRows(1);
                assertThat(f[0]).as(c[0]).isEqualTo(c[1].equals("no") ? NO_30MS : YES_30MS);
            }
        }
    }

    @Test
    void oneSecondClipsGetTheExampleLabels() {
        String[][] cases = {
            {"no_1000ms", "no"}, {"yes_1000ms", "yes"}, {"silence_1000ms", "silence"}, {"noise_1000ms", "silence"}
        };
        for (String[] c : cases) {
            float[] p;
            try (Interpreter pre = new Interpreter(preInt8)) {
                byte[][] f = features(pre, audio(c[0]));
                assertThat(f).hasNumberOfRows(FRAMES);
                p = classify(f);
            }
            int best = 0;
            for (int i = 1; i < p.length; i++) {
                best = p[i] > p[best] ? i : best;
            }
            System.out.printf(
                    "micro_speech %-15s silence %.4f unknown %.4f yes %.4f no %.4f -> %s%n",
                    c[0], p[0], p[1], p[2], p[3], LABELS[best]);
            assertThat(LABELS[best]).as(c[0]).isEqualTo(c[1]);
            if (c[0].equals("no_1000ms")) {
                assertThat(p[3])
                        .as("README: 'no' with probability 0.95")
                        .isCloseTo(0.95f, org.assertj.core.data.Offset.offset(0.01f));
            }
        }
    }

    @Test
    void floatPreprocessorRunsTheSamePipeline() {
        for (String clip : new String[] {"no_1000ms", "yes_1000ms", "silence_1000ms", "noise_1000ms"}) {
            short[] s = audio(clip);
            try (Interpreter pi = new Interpreter(preInt8);
                    Interpreter pf = new Interpreter(preFloat)) {
                byte[][] int8 = features(pi, s);
                for (int frame = 0; frame < int8.length; frame++) {
                    float[] f = new float[FEATURES];
                    pf.run(Arrays.copyOfRange(s, frame * STRIDE, frame * STRIDE + WINDOW), f);
                    for (int i = 0; i < FEATURES; i++) {
                        // float = log · 0.0390625 exactly; int8 = clamp((log · 256 + 333) / 666 − 128)
                        int log = Math.round(f[i] / 0.0390625f);
                        assertThat(log * 0.0390625f).isEqualTo(f[i]);
                        int q = Math.max(-128, Math.min(127, (log * 256 + 333) / 666 - 128));
                        assertThat(int8[frame][i])
                                .as("%s frame %d feature %d", clip, frame, i)
                                .isEqualTo((byte) q);
                    }
                }
            }
        }
    }

    @Test
    void noiseEstimatePersistsUntilReset() {
        short[] s = audio("no_1000ms");
        try (Interpreter pre = new Interpreter(preInt8)) {
            byte[][] first = features(pre, s);
            byte[][] again = features(pre, s);
            assertThat(again[0])
                    .as("the second pass starts from the first pass's noise estimate")
                    .isNotEqualTo(first[0]);
            pre.resetVariableTensors();
            byte[][] reset = features(pre, s);
            assertThat(reset).isDeepEqualTo(first);
        }
    }

    @Test
    void builtinOpsAgreeWithTheOfficialRuntimeOnEveryFrame() throws Exception {
        short[] s = audio("yes_1000ms");
        for (Model pre : List.of(preInt8, preFloat)) {
            List<Op> builtin =
                    pre.ops().stream().filter(o -> !o.type().isSignal()).toList();
            assertThat(builtin).extracting(Op::type).contains(OpType.CAST, OpType.STRIDED_SLICE, OpType.CONCATENATION);
            // Quanta's values of every tensor on every frame
            List<java.util.Map<Tensor, Object>> frames = new ArrayList<>();
            try (Interpreter q =
                    new Interpreter(pre, Interpreter.Options.defaults().withPreserveAllTensors(true))) {
                Object out =
                        dev.quanta.kernels.Buffers.allocate(pre.outputs().get(0).dtype(), FEATURES);
                for (int start = 0; start + WINDOW <= s.length && frames.size() < FRAMES; start += STRIDE) {
                    q.run(Arrays.copyOfRange(s, start, start + WINDOW), out);
                    java.util.Map<Tensor, Object> values = new java.util.IdentityHashMap<>();
                    for (Op op : builtin) {
                        for (Tensor t : op.inputs()) {
                            values.put(t, q.readTensor(t));
                        }
                        values.put(op.output(0), q.readTensor(op.output(0)));
                    }
                    frames.add(values);
                }
            }
            int checked = 0;
            for (Op op : builtin) {
                List<Tensor> variable =
                        op.inputs().stream().filter(t -> !t.isConstant()).toList();
                Model single =
                        new Model(op.name(), variable, List.of(op.output(0)), List.of(op), ModelMetadata.inMemory());
                try (TfliteOracle oracle =
                        TfliteOracle.open(TfliteWriter.toBytes(single), TfliteOracle.Kernels.BUILTIN, 1)) {
                    for (java.util.Map<Tensor, Object> values : frames) {
                        for (int i = 0; i < variable.size(); i++) {
                            oracle.setInput(i, values.get(variable.get(i)));
                        }
                        oracle.invoke();
                        Object want = oracle.outputLike(0, values.get(op.output(0)));
                        assertThat(values.get(op.output(0)))
                                .as(pre.name() + " " + op.describe())
                                .isEqualTo(want);
                        checked++;
                    }
                }
            }
            System.out.printf(
                    "micro_speech %s: %d builtin ops x %d frames bit-exact with TFLite%n",
                    pre.name(), builtin.size(), frames.size());
            assertThat(checked).isEqualTo(builtin.size() * FRAMES);
        }
    }

    @Test
    void summaryListsTheSignalOpsWithAllTheirOutputs() {
        var summary = dev.quanta.summary.ModelSummary.of(preInt8);
        var rows = summary.rows();
        assertThat(rows)
                .extracting(r -> r.type())
                .contains("SignalWindow", "SignalRfft", "SignalPCAN", "SignalFilterBankLog");
        assertThat(rows)
                .filteredOn(r -> r.type().equals("SignalFftAutoScale"))
                .singleElement()
                .satisfies(r -> assertThat(r.outputShape()).isEqualTo("[(480,), ()]"));
        assertThat(rows)
                .filteredOn(r -> r.type().equals("SignalFilterBankSpectralSubtraction"))
                .singleElement()
                .satisfies(r -> assertThat(r.outputShape()).isEqualTo("[(40,), (40,)]"));
        // the 480-tap window, the 2×316 filter weights, 3×41 channel tables and the 125-entry PCAN table among them
        assertThat(rows)
                .filteredOn(r -> r.type().equals("SignalFilterBank"))
                .singleElement()
                .satisfies(r -> assertThat(r.params()).isEqualTo(2 * 316 + 3 * 41));
        assertThat(rows)
                .filteredOn(r -> r.type().equals("SignalWindow"))
                .singleElement()
                .satisfies(r -> assertThat(r.params()).isEqualTo(480));
    }

    @Test
    void stockTfliteCannotRunThePreprocessors() {
        assertThatThrownBy(() -> TfliteOracle.open(
                                dir.resolve("audio_preprocessor_int8.tflite"), TfliteOracle.Kernels.BUILTIN, 1)
                        .close())
                .isInstanceOf(IllegalStateException.class);
    }
}
