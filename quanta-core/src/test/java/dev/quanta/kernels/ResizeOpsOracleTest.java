package dev.quanta.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quanta.QuantaException;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Origin;
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.testing.UsesOracle;
import dev.quanta.tflite.TfliteReader;
import dev.quanta.tflite.TfliteWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR against TFLite 2.21 on both paths: every type (float32, int8, uint8,
 * int16) × flag combination (none, align_corners, half_pixel_centers) on seeded random shapes, upscaling and
 * downscaling, plus the exact 2× upscale TFLite's float kernel special-cases. Integer outputs bit-exact, float
 * within 1e-5 of the range.
 */
@UsesOracle
class ResizeOpsOracleTest {
    private static final int SHAPES = 4;
    private static final int SAMPLES = 2;
    private static final DType[] TYPES = {DType.FLOAT32, DType.INT8, DType.UINT8, DType.INT16};
    private static final boolean[][] FLAGS = {{false, false}, {true, false}, {false, true}, {true, true}};

    @TestFactory
    Stream<DynamicTest> bitExactWithTfliteOnBothPaths() {
        ResampleReduceOracleSupport g = new ResampleReduceOracleSupport(20261202L);
        List<DynamicTest> tests = new ArrayList<>();
        for (OpType op : new OpType[] {OpType.RESIZE_BILINEAR, OpType.RESIZE_NEAREST_NEIGHBOR}) {
            for (DType t : TYPES) {
                for (boolean[] f : FLAGS) {
                    if (op == OpType.RESIZE_BILINEAR && f[0] && f[1]) {
                        continue; // refused, see bothFlagsAreRefusedForBilinear
                    }
                    String name = op + " " + t + (f[0] ? " align_corners" : "") + (f[1] ? " half_pixel_centers" : "");
                    List<int[]> shapes = new ArrayList<>();
                    for (int i = 0; i < SHAPES; i++) {
                        shapes.add(new int[] {
                            1 + g.random.nextInt(2),
                            1 + g.random.nextInt(7),
                            1 + g.random.nextInt(7),
                            1 + g.random.nextInt(5),
                            1 + g.random.nextInt(13),
                            1 + g.random.nextInt(13)
                        });
                    }
                    shapes.add(new int[] {1, 3, 4, 3, 6, 8}); // exactly 2x
                    if (t == DType.UINT8 && f[1]) { // TFLite's uint8 x8 kernel: depth divisible by 8
                        shapes.add(new int[] {2, 3, 2, 16, 24, 16});
                        shapes.add(new int[] {1, 1, 4, 8, 8, 32});
                    }
                    tests.add(DynamicTest.dynamicTest(name, () -> {
                        for (int[] s : shapes) {
                            Model m = model(g, op, t, s, f[0], f[1]);
                            for (QuantizedPath path : QuantizedPath.values()) {
                                var o = g.compare(m, path, SAMPLES, 0, 3f);
                                ResampleReduceOracleSupport.assertMatches(
                                        name + " " + java.util.Arrays.toString(s), path, t, o);
                            }
                            if (t != DType.FLOAT32) {
                                assertThat(g.crossPathDiff(m, SAMPLES))
                                        .as(name + " " + java.util.Arrays.toString(s) + ": XNNPACK vs built-in")
                                        .isLessThanOrEqualTo(1.0);
                            }
                        }
                    }));
                }
            }
        }
        return tests.stream();
    }

    /** x [n, h, w, c] resized to [oh, ow]; a quantized output shares the input's parameters. */
    private static Model model(
            ResampleReduceOracleSupport g, OpType op, DType t, int[] s, boolean align, boolean half) {
        QuantParams q = g.params(t);
        Tensor x = g.tensor("x", t, q, s[0], s[1], s[2], s[3]);
        return ResampleReduceOracleSupport.model(
                op,
                new OpAttributes.Resize(s[4], s[5], align, half),
                x,
                t,
                q,
                op.name().toLowerCase());
    }

    /**
     * RESIZE_BILINEAR with align_corners and half_pixel_centers: TFLite refuses the file, and so does Quanta's
     * reader, in one line (TFLite's nearest-neighbour kernel takes both; they are in the sweep).
     */
    @Test
    void bothFlagsAreRefusedForBilinear() throws Exception {
        for (OpType op : new OpType[] {OpType.RESIZE_BILINEAR}) {
            Tensor x = new Tensor("x", Shape.of(1, 3, 3, 2), DType.FLOAT32, null, null, false);
            Tensor y = new Tensor("y", Shape.of(1, 6, 6, 2), DType.FLOAT32, null, null, false);
            Op o = new Op(
                    "y", op, List.of(x), List.of(y), new OpAttributes.Resize(6, 6, true, true), new Origin("y", "r"));
            byte[] bytes = TfliteWriter.toBytes(
                    new Model("both", List.of(x), List.of(y), List.of(o), ModelMetadata.inMemory()));
            boolean tfliteRefuses;
            try (NativeTflite t = new NativeTflite(bytes, false)) {
                t.setInputArray(0, new float[18]);
                t.invoke();
                tfliteRefuses = false;
            } catch (IllegalStateException e) {
                tfliteRefuses = true;
            }
            assertThat(tfliteRefuses).as(op + ": TFLite refuses both flags").isTrue();
            assertThatThrownBy(() -> TfliteReader.read(bytes, Path.of("both.tflite")))
                    .isInstanceOf(QuantaException.class)
                    .hasMessageContaining("both.tflite")
                    .hasMessageContaining("align_corners and half_pixel_centers")
                    .hasMessageNotContaining("\n");
        }
    }
}
