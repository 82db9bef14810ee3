package dev.quanta.integration;

import dev.quanta.data.Dataset;
import dev.quanta.testing.CoreArrays;
import dev.quanta.testing.Fixtures;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.util.SplittableRandom;

/** Calibration and test inputs for fixtures without labelled data. */
final class RandomData {
    private RandomData() {}

    /** {@code n} seeded samples uniform in [0, 1) (the VWW model's input range), all labelled 0. */
    static Dataset uniform(int[] sampleShape, int n, long seed) {
        int size = 1;
        for (int d : sampleShape) {
            size *= d;
        }
        float[] x = CoreArrays.uniform(new SplittableRandom(seed), n * size, 0, 1);
        return Dataset.of("uniform-random", sampleShape, x, new int[n]);
    }

    /** The normal_id_01 clip's 196 windows of 640 log-mel values (stride 128), unlabelled (label 0). */
    static Dataset adWindows() {
        try {
            byte[] raw = Files.readAllBytes(Fixtures.require("mlperf-tiny/ad/normal_id_01_00000000_hist_librosa.bin"));
            float[] frames = new float[raw.length / 4];
            ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(frames);
            int windows = (frames.length - 640) / 128 + 1;
            float[] x = new float[windows * 640];
            for (int w = 0; w < windows; w++) {
                System.arraycopy(frames, w * 128, x, w * 640, 640);
            }
            return Dataset.of("normal_id_01 windows", new int[] {640}, x, new int[windows]);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
