package dev.quanta.data;

import dev.quanta.QuantaException;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Loads images arranged as one subfolder per class: subfolder names sorted by {@link String#compareTo} give class
 * indices {@code 0..k-1}; images inside a class are taken in file-name order. Files are decoded with {@code
 * javax.imageio} (PNG, BMP, JPEG, GIF); other files and hidden entries are skipped.
 *
 * <p>Samples are HWC with values 0..255: {@code [h, w, 3]} RGB, or {@code [h, w, 1]} grayscale. A grey image is read
 * from its raster without colour conversion (higher bit depths are rescaled to 0..255); a colour image is converted
 * to grey as {@code round(0.299 R + 0.587 G + 0.114 B)} (fixed point {@code (19595 R + 38470 G + 7471 B + 32768) >>
 * 16}); a grey image read as RGB repeats its value in the 3 channels. Alpha is ignored. Images are never resized: a
 * size other than the target is an error.
 */
public final class ImageFolder {
    private ImageFolder() {}

    /** File extensions (lower case) treated as images. */
    public static final Set<String> EXTENSIONS = Set.of("png", "bmp", "jpg", "jpeg", "gif");

    /**
     * Loads every image below {@code root}.
     *
     * @param grayscale one channel instead of RGB
     * @param width required image width, or 0 to take it from the first image
     * @param height required image height, or 0 to take it from the first image
     * @param preprocessing applied to every pixel value (null = identity)
     * @throws QuantaException if there are no class folders or images, an image cannot be decoded, or has another size
     */
    public static Dataset load(Path root, boolean grayscale, int width, int height, Preprocessing preprocessing) {
        return load(root, grayscale, width, height, preprocessing, Integer.MAX_VALUE);
    }

    /** Same, with the size taken from the first image (all images must share it). */
    public static Dataset load(Path root, boolean grayscale, Preprocessing preprocessing) {
        return load(root, grayscale, 0, 0, preprocessing);
    }

    static Dataset load(Path root, boolean grayscale, int width, int height, Preprocessing preprocessing, int limit) {
        return load(root, grayscale, width, height, preprocessing, 0, limit);
    }

    /**
     * Same, decoding only images {@code skip} to {@code skip + limit} of the sorted listing (fewer at its end); the
     * folders are listed whole, the images before the range are not opened. Without a size, the first image decoded
     * sets it, so a caller that reads a range gives the size of the whole set's first image.
     */
    static Dataset load(
            Path root, boolean grayscale, int width, int height, Preprocessing preprocessing, int skip, int limit) {
        DataIo.requireDirectory(root, "image folder");
        List<Path> classDirs = list(root, true);
        if (classDirs.isEmpty()) {
            throw QuantaException.inFile(root, "no class subfolders (expected one subfolder of images per class)");
        }
        List<Path> files = new ArrayList<>();
        List<Integer> fileLabels = new ArrayList<>();
        List<String> classNames = new ArrayList<>();
        for (int c = 0; c < classDirs.size(); c++) {
            classNames.add(String.valueOf(classDirs.get(c).getFileName()));
            for (Path f : list(classDirs.get(c), false)) {
                if (EXTENSIONS.contains(extension(f))) {
                    files.add(f);
                    fileLabels.add(c);
                }
            }
        }
        if (files.isEmpty()) {
            throw QuantaException.inFile(
                    root, "no images (" + EXTENSIONS + ") found in " + classDirs.size() + " class subfolders");
        }
        if (skip > 0) {
            int from = Math.min(skip, files.size());
            files = files.subList(from, files.size());
            fileLabels = fileLabels.subList(from, fileLabels.size());
        }
        int n = Math.min(limit, files.size());
        int channels = grayscale ? 1 : 3;
        int w = width;
        int h = height;
        float[] values = null;
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            Path f = files.get(i);
            ImageReader reader = open(f);
            try {
                int iw = dimension(reader, f, true);
                int ih = dimension(reader, f, false);
                if (w <= 0 || h <= 0) {
                    w = iw;
                    h = ih;
                }
                if (iw != w || ih != h) {
                    throw QuantaException.inFile(
                            f,
                            "image is " + iw + "x" + ih + " (width x height), expected " + w + "x" + h
                                    + "; images are not resized, resize them beforehand");
                }
                if (values == null) {
                    // the samples, plus one decoded image (at most 4 bytes per pixel)
                    DataIo.requireMemory(root, "", n, new int[] {h, w, channels}, Shapes.saturatedMultiply(4L * w, h));
                    values = new float[n * w * h * channels];
                }
                pixels(decode(reader, f), grayscale, values, i * w * h * channels);
            } finally {
                close(reader);
            }
            labels[i] = fileLabels.get(i);
        }
        DataIo.ReadLabels read = new DataIo.ReadLabels(
                labels,
                classDirs.size(),
                classNames,
                new Dataset.LabelOrigin(root, null, Dataset.ClassCount.CLASS_FOLDERS));
        int[] shape = {h, w, channels};
        return DataIo.finish(String.valueOf(root.getFileName()), root, shape, values, read, preprocessing);
    }

    /** The number of images in the class folders of {@code root}, from the listing (none is opened). */
    static int count(Path root) {
        DataIo.requireDirectory(root, "image folder");
        int n = 0;
        for (Path dir : list(root, true)) {
            for (Path f : list(dir, false)) {
                if (EXTENSIONS.contains(extension(f))) {
                    n++;
                }
            }
        }
        return n;
    }

    /** A reader positioned on {@code f}, chosen by content; only the header is read so far. */
    private static ImageReader open(Path f) {
        ImageInputStream in;
        try {
            in = ImageIO.createImageInputStream(f.toFile());
        } catch (IOException | RuntimeException e) {
            throw QuantaException.inFile(f, "cannot decode image: " + e.getMessage(), e);
        }
        if (in == null) {
            throw QuantaException.inFile(f, "cannot read the file");
        }
        Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
        if (!readers.hasNext()) {
            closeQuietly(in);
            throw QuantaException.inFile(f, "not a readable image (no javax.imageio reader recognises its content)");
        }
        ImageReader reader = readers.next();
        reader.setInput(in, true, true);
        return reader;
    }

    /** The width or height the image's header declares. */
    private static int dimension(ImageReader reader, Path f, boolean width) {
        try {
            int d = width ? reader.getWidth(0) : reader.getHeight(0);
            if (d <= 0) {
                throw QuantaException.inFile(f, "image header declares a " + (width ? "width" : "height") + " of " + d);
            }
            return d;
        } catch (IOException | RuntimeException e) {
            if (e instanceof QuantaException q) {
                throw q;
            }
            throw QuantaException.inFile(f, "cannot decode image: " + e.getMessage(), e);
        }
    }

    private static BufferedImage decode(ImageReader reader, Path f) {
        try {
            BufferedImage img = reader.read(0);
            if (img == null) {
                throw QuantaException.inFile(f, "not a readable image (no javax.imageio reader decodes it)");
            }
            return img;
        } catch (IOException | RuntimeException e) {
            if (e instanceof QuantaException q) {
                throw q;
            }
            throw QuantaException.inFile(f, "cannot decode image: " + e.getMessage(), e);
        }
    }

    /** Releases {@code reader} and closes the file it reads (which {@link ImageReader#dispose} leaves open). */
    private static void close(ImageReader reader) {
        Object input = reader.getInput();
        reader.dispose();
        if (input instanceof ImageInputStream in) {
            closeQuietly(in);
        }
    }

    private static void closeQuietly(ImageInputStream in) {
        try {
            in.close();
        } catch (IOException e) {
            // an input that fails to close changes nothing that was read
        }
    }

    /** Writes {@code img} as HWC values 0..255 into {@code dst} at {@code off}. */
    static void pixels(BufferedImage img, boolean grayscale, float[] dst, int off) {
        int w = img.getWidth();
        int h = img.getHeight();
        ColorModel cm = img.getColorModel();
        boolean grey = cm.getColorSpace().getType() == ColorSpace.TYPE_GRAY && !(cm instanceof IndexColorModel);
        int k = off;
        if (grey) {
            Raster r = img.getRaster();
            int bits = cm.getComponentSize(0);
            float scale = bits == 8 ? 1f : 255f / ((1L << bits) - 1);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    float v = bits == 8 ? r.getSample(x, y, 0) : r.getSample(x, y, 0) * scale;
                    dst[k++] = v;
                    if (!grayscale) {
                        dst[k++] = v;
                        dst[k++] = v;
                    }
                }
            }
            return;
        }
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int rgb = img.getRGB(x, y);
                int r = (rgb >> 16) & 0xFF;
                int g = (rgb >> 8) & 0xFF;
                int b = rgb & 0xFF;
                if (grayscale) {
                    dst[k++] = (19595 * r + 38470 * g + 7471 * b + 32768) >> 16;
                } else {
                    dst[k++] = r;
                    dst[k++] = g;
                    dst[k++] = b;
                }
            }
        }
    }

    private static List<Path> list(Path dir, boolean directories) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> !p.getFileName().toString().startsWith("."))
                    .filter(p -> directories ? Files.isDirectory(p) : Files.isRegularFile(p))
                    .sorted((a, b) ->
                            a.getFileName().toString().compareTo(b.getFileName().toString()))
                    .toList();
        } catch (IOException e) {
            throw QuantaException.inFile(dir, "cannot list folder: " + e.getMessage(), e);
        }
    }

    private static String extension(Path f) {
        String n = f.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot < 0 ? "" : n.substring(dot + 1).toLowerCase(Locale.ROOT);
    }

    /** True if {@code dir} has at least one non-hidden subfolder. */
    static boolean hasSubfolders(Path dir) {
        return !list(dir, true).isEmpty();
    }
}
