package dev.quanta.testing;

import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpType;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A model's ops in short: their types and names in order, how many of each type it has, and those counts for the
 * fixture models that several tests read.
 */
public final class CoreOps {
    /** MLPerf Tiny's IC ResNet-8 as a TFLite file, the float one and the converter's int8 one alike. */
    public static final Map<OpType, Integer> IC_RESNET_COUNTS =
            parseCounts("CONV_2D 9, ADD 3, AVERAGE_POOL_2D 1, RESHAPE 1, FULLY_CONNECTED 1, SOFTMAX 1");

    /** MLPerf Tiny's VWW MobileNet as a TFLite file, the float one and the converter's int8 one alike. */
    public static final Map<OpType, Integer> VWW_MOBILENET_COUNTS =
            parseCounts("CONV_2D 14, DEPTHWISE_CONV_2D 13, AVERAGE_POOL_2D 1, RESHAPE 1, FULLY_CONNECTED 1, SOFTMAX 1");

    private CoreOps() {}

    /** The types of {@code m}'s ops in order, separated by spaces: {@code "CONV_2D RESHAPE SOFTMAX"}. */
    public static String types(Model m) {
        return m.ops().stream().map(o -> o.type().name()).collect(Collectors.joining(" "));
    }

    /** The names of {@code m}'s ops in order, separated by spaces. */
    public static String names(Model m) {
        return m.ops().stream().map(Op::name).collect(Collectors.joining(" "));
    }

    /** The number of ops of each type in {@code m}; types it does not use are absent. */
    public static Map<OpType, Integer> counts(Model m) {
        Map<OpType, Integer> counts = new EnumMap<>(OpType.class);
        for (Op op : m.ops()) {
            counts.merge(op.type(), 1, Integer::sum);
        }
        return counts;
    }

    /** Counts written as {@code "CONV_2D 9, ADD 3"}: an op type and its count, comma-separated. */
    public static Map<OpType, Integer> parseCounts(String counts) {
        Map<OpType, Integer> out = new EnumMap<>(OpType.class);
        for (String entry : counts.split(",")) {
            String[] typeAndCount = entry.trim().split(" ");
            Integer before = out.put(OpType.valueOf(typeAndCount[0]), Integer.valueOf(typeAndCount[1]));
            if (typeAndCount.length != 2 || before != null) {
                throw new IllegalArgumentException("not 'TYPE count' or repeated: '" + entry + "' in " + counts);
            }
        }
        return Collections.unmodifiableMap(out);
    }
}
