package dev.quanta.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quanta.QuantaException;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderTest {
    @TempDir
    Path tmp;

    /** A w x h RGB image whose pixel (x, y) is (10x + y, 100 + y, 200 - x), written in {@code format}. */
    private static Path rgb(Path file, int w, int h, String format) throws IOException {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, ((10 * x + y) << 16) | ((100 + y) << 8) | (200 - x));
            }
        }
        Files.createDirectories(file.getParent());
        assertThat(ImageIO.write(img, format, file.toFile())).isTrue();
        return file;
    }

    /** A w x h 8-bit grey PNG whose pixel (x, y) is {@code base + 16y + x}. */
    private static Path grey(Path file, int w, int h, int base) throws IOException {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.getRaster().setSample(x, y, 0, base + 16 * y + x);
            }
        }
        Files.createDirectories(file.getParent());
        ImageIO.write(img, "png", file.toFile());
        return file;
    }

    @Test
    void rgbClassFoldersInSortedOrderHwc() throws IOException {
        rgb(tmp.resolve("cat/b.png"), 3, 2, "png");
        rgb(tmp.resolve("cat/a.bmp"), 3, 2, "bmp");
        rgb(tmp.resolve("airplane/x.png"), 3, 2, "png");
        Files.writeString(tmp.resolve("cat/notes.txt"), "not an image");
        Files.createDirectories(tmp.resolve(".hidden"));
        Files.createDirectories(tmp.resolve("dog"));
        Dataset d = ImageFolder.load(tmp, false, 3, 2, null);
        assertThat(d.size()).isEqualTo(3);
        assertThat(d.sampleShape()).containsExactly(2, 3, 3);
        assertThat(d.classNames()).containsExactly("airplane", "cat", "dog");
        assertThat(d.numClasses()).isEqualTo(3);
        assertThat(d.labels()).containsExactly(0, 1, 1);
        // pixel (x=2, y=1): R = 21, G = 101, B = 198 at HWC index (1*3 + 2)*3
        float[] s = d.sample(1);
        assertThat(s).startsWith(0, 100, 200);
        assertThat(new float[] {s[15], s[16], s[17]}).containsExactly(21, 101, 198);
        assertThat(d.sample(2)).isEqualTo(s);
    }

    @Test
    void greyImagesKeepRasterValuesAndColourIsConverted() throws IOException {
        grey(tmp.resolve("0/g.png"), 4, 4, 7);
        rgb(tmp.resolve("1/c.png"), 4, 4, "png");
        Dataset d = ImageFolder.load(tmp, true, Preprocessing.scale(0.5f));
        assertThat(d.sampleShape()).containsExactly(4, 4, 1);
        float[] g = d.sample(0);
        assertThat(g[0]).isEqualTo(3.5f);
        assertThat(g[15]).isEqualTo((7 + 48 + 3) * 0.5f);
        // colour (R,G,B) = (0,100,200) -> round(0.299*0 + 0.587*100 + 0.114*200) = 81.5 -> 82 (fixed point rounds half
        // up)
        float[] c = d.sample(1);
        assertThat(c[0]).isEqualTo(((19595 * 0 + 38470 * 100 + 7471 * 200 + 32768) >> 16) * 0.5f);
        // a grey image loaded as RGB repeats the value
        Dataset asRgb = ImageFolder.load(tmp, false, 4, 4, null);
        assertThat(asRgb.sample(0)).startsWith(7, 7, 7, 8, 8, 8);
    }

    @Test
    void sizeMismatchIsAnErrorNotAResize() throws IOException {
        rgb(tmp.resolve("a/1.png"), 4, 4, "png");
        Path odd = rgb(tmp.resolve("b/2.png"), 5, 4, "png");
        assertThatThrownBy(() -> ImageFolder.load(tmp, false, null))
                .isInstanceOf(QuantaException.class)
                .hasMessage(odd
                        + ": image is 5x4 (width x height), expected 4x4; images are not resized, "
                        + "resize them beforehand");
        Path first = tmp.resolve("a/1.png");
        assertThatThrownBy(() -> ImageFolder.load(tmp, false, 28, 28, null))
                .hasMessageStartingWith(first + ": image is 4x4 (width x height), expected 28x28");
    }

    @Test
    void emptyOrUndecodable() throws IOException {
        assertThatThrownBy(() -> ImageFolder.load(tmp, false, null))
                .isInstanceOf(QuantaException.class)
                .hasMessage(tmp + ": no class subfolders (expected one subfolder of images per class)");
        Files.createDirectories(tmp.resolve("a"));
        assertThatThrownBy(() -> ImageFolder.load(tmp, false, null)).hasMessageContaining("no images");
        Path broken = TestFiles.write(tmp.resolve("a/broken.png"), "not a png");
        assertThatThrownBy(() -> ImageFolder.load(tmp, false, null))
                .hasMessage(broken + ": not a readable image (no javax.imageio reader recognises its content)");
    }

    @Test
    void oneEncodedImageDecodesToTheFoldersSampleWithItsPreprocessing() throws IOException {
        Path b = rgb(tmp.resolve("cat/b.png"), 3, 2, "png");
        Path a = rgb(tmp.resolve("cat/a.bmp"), 3, 2, "bmp");
        Preprocessing p = Preprocessing.meanStd(new float[] {10, 20, 30}, new float[] {2, 4, 8});
        Dataset d = ImageFolder.load(tmp, false, 3, 2, p);
        ImageFolder.Decoding rgb = new ImageFolder.Decoding(false, 3, 2, p);
        assertThat(ImageFolder.sample(Files.readAllBytes(a), a.toString(), rgb)).isEqualTo(d.sample(0));
        assertThat(ImageFolder.sample(Files.readAllBytes(b), b.toString(), rgb)).isEqualTo(d.sample(1));
        // pixel (x=2, y=1): (21 - 10) / 2, (101 - 20) / 4, (198 - 30) / 8
        float[] x = ImageFolder.sample(Files.readAllBytes(b), "b", rgb);
        assertThat(new float[] {x[15], x[16], x[17]}).containsExactly(5.5f, 20.25f, 21f);
        // grey, any size, no preprocessing: round(0.299 R + 0.587 G + 0.114 B) of pixel (0, 0) = (0, 100, 200)
        float[] g = ImageFolder.sample(Files.readAllBytes(b), "b", new ImageFolder.Decoding(true, 0, 0, null));
        assertThat(g).hasSize(6);
        assertThat(g[0]).isEqualTo((38470 * 100 + 7471 * 200 + 32768) >> 16);

        assertThatThrownBy(() -> ImageFolder.sample(
                        Files.readAllBytes(b), "cat/b.png", new ImageFolder.Decoding(false, 4, 4, null)))
                .isInstanceOf(QuantaException.class)
                .hasMessage("cat/b.png: image is 3x2 (width x height), expected 4x4; images are not resized, "
                        + "resize them beforehand");
        assertThatThrownBy(() -> ImageFolder.sample(new byte[] {1, 2, 3}, "row 7", rgb))
                .hasMessage("row 7: not a readable image (no javax.imageio reader recognises its content)");
    }

    @Test
    void decodingFromASpecAndTheFolderTests() throws IOException {
        rgb(tmp.resolve("cat/b.png"), 3, 2, "png");
        DatasetSpec spec = DatasetSpec.of(tmp).withSampleShape(new int[] {2, 3, 1});
        assertThat(ImageFolder.Decoding.of(spec)).isEqualTo(new ImageFolder.Decoding(true, 3, 2, null));
        assertThat(ImageFolder.Decoding.of(DatasetSpec.of(tmp).withSampleShape(new int[] {-1, 3})))
                .isEqualTo(new ImageFolder.Decoding(false, 3, 0, null));
        assertThatThrownBy(() -> ImageFolder.Decoding.of(DatasetSpec.of(tmp).withSampleShape(new int[] {2, 3, 4})))
                .hasMessage(tmp + ": images have 1 (grey) or 3 (RGB) channels, found 4");
        assertThat(ImageFolder.isImageFolder(DatasetSpec.of(tmp))).isTrue();
        assertThat(ImageFolder.isImageFolder(
                        DatasetSpec.of(tmp.resolve("cat/b.png")).withFormat("idx")))
                .isFalse();
        assertThat(ImageFolder.isImageName("X.PNG")).isTrue();
        assertThat(ImageFolder.isImageName(".x.png")).isFalse();
        assertThat(ImageFolder.isImageName("x.txt")).isFalse();
        assertThat(ImageFolder.classFolders(tmp)).containsExactly(tmp.resolve("cat"));
    }
}
