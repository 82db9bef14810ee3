package dev.quanta.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * {@link Datasets#loadRange} of windowed clips (issue 13): any range, with any skip and limit, equals the same slice
 * of the whole load (windows, labels, clip indices and names), and opens only the clip files that hold one of its
 * windows.
 */
class WindowedRangesTest {
    /** Each clip's first window in the whole and its number of windows. */
    private static final List<int[]> WINDOWS_OF_CLIP = new ArrayList<>();

    /** Twelve clips of 3 to 11 windows of 3 float32 values (12 bytes) every 2 values (8 bytes); clip c labelled c % 2. */
    private static final Path CSV = clips();

    private static final int CLIPS = 12;

    private static Path clips() {
        try {
            Path dir = Files.createTempDirectory("quanta-windows-");
            SplittableRandom random = new SplittableRandom(13);
            StringBuilder csv = new StringBuilder("# file,count,label,window_bytes,stride_bytes\n");
            int first = 0;
            for (int c = 0; c < 12; c++) {
                int windows = random.nextInt(3, 12);
                // values: window w of the clip starts at value 2w; file bytes = 8 (windows - 1) + 12, plus 0-7 extra
                float[] v = new float[2 * (windows - 1) + 3 + random.nextInt(0, 2)];
                for (int i = 0; i < v.length; i++) {
                    v[i] = 1000 * c + i;
                }
                TestFiles.write(dir.resolve("clip" + c + ".bin"), TestFiles.floatsLE(v));
                csv.append("clip").append(c).append(".bin,2,").append(c % 2).append(",12,8\n");
                WINDOWS_OF_CLIP.add(new int[] {first, windows});
                first += windows;
            }
            return TestFiles.write(dir.resolve("y_labels.csv"), csv.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @AfterContainer
    static void deleteClips() throws IOException {
        try (var files = Files.list(CSV.getParent())) {
            for (Path f : files.toList()) {
                Files.delete(f);
            }
        }
        Files.delete(CSV.getParent());
    }

    @Property(tries = 200)
    void aRangeIsTheSliceOfTheWholeAndOpensOnlyItsClips(
            @ForAll @IntRange(min = 0, max = 30) int skip,
            @ForAll @IntRange(min = 0, max = 60) int limitOrNone,
            @ForAll @IntRange(min = 0, max = 1000) int a,
            @ForAll @IntRange(min = 0, max = 1000) int b) {
        DatasetSpec spec = DatasetSpec.of(CSV).withSkip(skip).withLimit(limitOrNone == 0 ? null : limitOrNone);
        Dataset whole = Datasets.load(spec);
        int n = whole.size();
        assertThat(Datasets.count(spec)).isEqualTo(n);
        int from = a % n;
        int to = from + 1 + b % (n - from);
        List<Path> opened = new ArrayList<>();
        WindowedSamples.clipOpened = opened::add;
        Dataset range;
        try {
            range = Datasets.loadRange(spec, from, to);
        } finally {
            WindowedSamples.clipOpened = null;
        }
        Dataset slice = whole.slice(from, to);
        assertThat(range.features()).isEqualTo(slice.features());
        assertThat(range.labels()).isEqualTo(slice.labels());
        assertThat(range.sampleShape()).isEqualTo(slice.sampleShape());
        assertThat(range.clipNames()).isEqualTo(slice.clipNames());
        assertThat(range.name()).isEqualTo(slice.name());
        assertThat(range.numClasses()).isEqualTo(2);
        List<Path> expected = new ArrayList<>();
        for (int i = 0; i < slice.size(); i++) {
            assertThat(range.clip(i)).isEqualTo(slice.clip(i));
            Path file = CSV.resolveSibling(slice.clipNames().get(slice.clip(i)));
            if (!expected.contains(file)) {
                expected.add(file);
            }
        }
        // each clip file of the range opened once, no other
        assertThat(opened).containsExactlyElementsOf(expected);
        // the first value of the range's first window: clip c's window w starts at value 1000 c + 2 w
        int global = skip + from;
        int c = 0;
        while (WINDOWS_OF_CLIP.get(c)[0] + WINDOWS_OF_CLIP.get(c)[1] <= global) {
            c++;
        }
        assertThat(range.features()[0])
                .isEqualTo(1000f * c + 2 * (global - WINDOWS_OF_CLIP.get(c)[0]));
        assertThat(CLIPS).isEqualTo(WINDOWS_OF_CLIP.size());
    }
}
