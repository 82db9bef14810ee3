package dev.quanta.ir;

/** Shape rules of the element-wise ops of issue 11 that are more than broadcasting. */
final class ElementwiseShapes {
    private ElementwiseShapes() {}

    /** SELECT: a and b of one shape; the condition of that shape too, or a vector along their first axis. */
    static Shape select(Shape cond, Shape a, Shape b) {
        boolean rowCondition = cond.rank() == 1 && a.rank() > 1 && cond.dim(0) == a.dim(0);
        if (!a.equals(b) || !(cond.equals(a) || rowCondition)) {
            throw new IllegalArgumentException(
                    "SELECT needs a and b of one shape and a condition of that shape or of its first axis, got " + cond
                            + ", " + a + ", " + b);
        }
        return a;
    }
}
