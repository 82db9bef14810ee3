package dev.quanta.kernels.detection;

/**
 * {@code std::partial_sort} of indices by decreasing value, in the exact steps of GCC's libstdc++ (the library
 * TFLite 2.21's Linux build links): a heap of the first {@code k} indices, each later index that beats the heap's
 * top replacing it, then a heap sort. The algorithm is not stable, so the order of equal values is the one these
 * steps give; TFLite's detection post-process uses it to rank each box's classes.
 */
final class HeapPartialSort {
    private HeapPartialSort() {}

    /**
     * Sets {@code indices[0, n)} to 0, 1, …, n − 1 and moves the indices of the {@code k} largest
     * {@code values[base + i]} to the front in decreasing order, ordering ties as libstdc++ does; the rest of the
     * array is left in heap-select order.
     */
    static void decreasing(float[] values, int base, int n, int k, int[] indices) {
        for (int i = 0; i < n; i++) {
            indices[i] = i;
        }
        if (k <= 0) {
            return;
        }
        makeHeap(indices, k, values, base);
        for (int i = k; i < n; i++) {
            if (before(values, base, indices[i], indices[0])) {
                int v = indices[i];
                indices[i] = indices[0];
                adjustHeap(indices, 0, k, v, values, base);
            }
        }
        for (int last = k; last > 1; ) {
            last--;
            int v = indices[last];
            indices[last] = indices[0];
            adjustHeap(indices, 0, last, v, values, base);
        }
    }

    /** The comparator: index a goes before index b when its value is larger. */
    private static boolean before(float[] values, int base, int a, int b) {
        return values[base + a] > values[base + b];
    }

    private static void makeHeap(int[] h, int len, float[] values, int base) {
        if (len < 2) {
            return;
        }
        for (int parent = (len - 2) / 2; ; parent--) {
            adjustHeap(h, parent, len, h[parent], values, base);
            if (parent == 0) {
                return;
            }
        }
    }

    /** Sifts the hole at {@code hole} down to a leaf, always following the greater child, then pushes v up. */
    private static void adjustHeap(int[] h, int hole, int len, int v, float[] values, int base) {
        int top = hole;
        int child = hole;
        while (child < (len - 1) / 2) {
            child = 2 * (child + 1);
            if (before(values, base, h[child], h[child - 1])) {
                child--;
            }
            h[hole] = h[child];
            hole = child;
        }
        if ((len & 1) == 0 && child == (len - 2) / 2) {
            child = 2 * (child + 1);
            h[hole] = h[child - 1];
            hole = child - 1;
        }
        int parent = (hole - 1) / 2;
        while (hole > top && before(values, base, h[parent], v)) {
            h[hole] = h[parent];
            hole = parent;
            parent = (hole - 1) / 2;
        }
        h[hole] = v;
    }
}
