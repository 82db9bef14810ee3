package dev.quanta.data;

import dev.quanta.QuantaException;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
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
        Listing listing = listing(root);
        List<Path> files = listing.files();
        List<Integer> fileLabels = listing.labels();
        List<String> classNames = listing.classNames();
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
            String name = f.toString();
            ImageReader reader = open(f);
            try {
                int[] size = size(reader, name, w, h);
                w = size[0];
                h = size[1];
                if (values == null) {
                    // the samples, plus one decoded image (at most 4 bytes per pixel)
                    DataIo.requireMemory(root, "", n, new int[] {h, w, channels}, Shapes.saturatedMultiply(4L * w, h));
                    values = new float[n * w * h * channels];
                }
                pixels(decode(reader, name), grayscale, values, i * w * h * channels);
            } finally {
                close(reader);
            }
            labels[i] = fileLabels.get(i);
        }
        DataIo.ReadLabels read = new DataIo.ReadLabels(
                labels,
                classNames.size(),
                classNames,
                new Dataset.LabelOrigin(root, null, Dataset.ClassCount.CLASS_FOLDERS));
        int[] shape = {h, w, channels};
        return DataIo.finish(String.valueOf(root.getFileName()), root, shape, values, read, preprocessing);
    }

    /**
     * The images of an image folder in the order {@link #load} reads them (class subfolder by name, then file name),
     * each with its class index, and the class names (issue 13: a cluster's driver lists the folder once and its
     * tasks read the files it lists).
     *
     * @param files the image files
     * @param labels the class index of each file
     * @param classNames the class subfolders' names, class {@code i} the {@code i}-th
     */
    public record Listing(List<Path> files, List<Integer> labels, List<String> classNames) {
        public Listing {
            files = List.copyOf(files);
            labels = List.copyOf(labels);
            classNames = List.copyOf(classNames);
        }
    }

    /**
     * The images {@link #load} reads in {@code root}: in its non-hidden class subfolders, non-hidden files with an
     * image extension (names starting with {@code _} are images like any other).
     *
     * @throws QuantaException naming {@code root} if it is no folder, has no class subfolders or no images
     */
    public static Listing listing(Path root) {
        DataIo.requireDirectory(root, "image folder");
        List<Path> classDirs = classFolders(root);
        List<Path> files = new ArrayList<>();
        List<Integer> fileLabels = new ArrayList<>();
        List<String> classNames = new ArrayList<>();
        for (int c = 0; c < classDirs.size(); c++) {
            classNames.add(String.valueOf(classDirs.get(c).getFileName()));
            for (Path f : list(classDirs.get(c), false)) {
                if (isImageName(f.getFileName().toString())) {
                    files.add(f);
                    fileLabels.add(c);
                }
            }
        }
        if (files.isEmpty()) {
            throw QuantaException.inFile(
                    root, "no images (" + EXTENSIONS + ") found in " + classDirs.size() + " class subfolders");
        }
        return new Listing(files, fileLabels, classNames);
    }

    /** The number of images in the class folders of {@code root}, from the listing (none is opened). */
    static int count(Path root) {
        DataIo.requireDirectory(root, "image folder");
        int n = 0;
        for (Path dir : list(root, true)) {
            for (Path f : list(dir, false)) {
                if (isImageName(f.getFileName().toString())) {
                    n++;
                }
            }
        }
        return n;
    }

    /**
     * The sample of one encoded image (the bytes of an image file), decoded and checked as {@link #load} decodes each
     * file of a folder, then preprocessed: HWC values 0..255 in {@code decoding}'s channels, with its preprocessing
     * applied (issue 13: the executors of a cluster decode image files with this).
     *
     * @param name the image's name in error messages (its file's path)
     * @throws QuantaException naming {@code name} if the bytes are no readable image or it has another size than
     *     {@code decoding}'s
     */
    public static float[] sample(byte[] encoded, String name, Decoding decoding) {
        ImageInputStream in;
        try {
            in = ImageIO.createImageInputStream(new ByteArrayInputStream(encoded));
        } catch (IOException | RuntimeException e) {
            throw error(name, "cannot decode image: " + e.getMessage(), e);
        }
        ImageReader reader = open(in, name);
        float[] x;
        int[] size;
        try {
            size = size(reader, name, decoding.width(), decoding.height());
            int channels = decoding.grayscale() ? 1 : 3;
            x = new float[Math.multiplyExact(Math.multiplyExact(size[0], size[1]), channels)];
            pixels(decode(reader, name), decoding.grayscale(), x, 0);
        } finally {
            close(reader);
        }
        Preprocessing pre = decoding.preprocessing() == null ? Preprocessing.identity() : decoding.preprocessing();
        int[] stored = {size[1], size[0], decoding.grayscale() ? 1 : 3};
        String where = name + ": ";
        pre.applyInPlace(x, pre.channels(stored, pre.outputShape(stored, where), where));
        return x;
    }

    /**
     * How images become samples: grey or RGB, the size every image must have (0: any), the preprocessing (null:
     * none).
     */
    public record Decoding(boolean grayscale, int width, int height, Preprocessing preprocessing) {
        /**
         * The decoding {@code spec} asks for: its sample shape {@code [height, width]} or {@code [height, width,
         * channels]} (-1 or no shape: any size; 1 channel: grey), its grayscale flag and its preprocessing.
         *
         * @throws QuantaException naming the spec's data if the shape cannot be an image's
         */
        public static Decoding of(DatasetSpec spec) {
            int[] s = spec.sampleShape();
            boolean grey = spec.grayscale();
            int w = 0;
            int h = 0;
            if (s != null) {
                if (s.length != 2 && s.length != 3) {
                    throw QuantaException.inFile(
                            spec.data(),
                            "image size must be [height, width] or [height, width, channels], found "
                                    + Shapes.format(s));
                }
                for (int d : s) {
                    if (d <= 0 && d != -1) {
                        throw QuantaException.inFile(
                                spec.data(),
                                "image size " + Shapes.format(s)
                                        + " must have positive dimensions (or -1: the first image's)");
                    }
                }
                h = Math.max(0, s[0]);
                w = Math.max(0, s[1]);
                if (s.length == 3) {
                    if (s[2] != 1 && s[2] != 3) {
                        throw QuantaException.inFile(
                                spec.data(), "images have 1 (grey) or 3 (RGB) channels, found " + s[2]);
                    }
                    if (grey && s[2] == 3) {
                        throw QuantaException.inFile(
                                spec.data(), "grayscale was requested but the sample shape has 3 channels");
                    }
                    grey = s[2] == 1;
                }
            }
            return new Decoding(grey, w, h, spec.preprocessing());
        }
    }

    /**
     * True if {@code spec} is an image folder: its format is {@code images}, or none is given and {@link
     * Datasets#detectFormat} finds one.
     */
    public static boolean isImageFolder(DatasetSpec spec) {
        String f = spec.format();
        if (f == null || f.isBlank() || f.equalsIgnoreCase("auto")) {
            return Files.isDirectory(spec.data())
                    && Datasets.IMAGES.equals(Datasets.detectFormat(spec.data(), spec.labels()));
        }
        return Datasets.IMAGES.equals(Datasets.normalizeFormat(f));
    }

    /**
     * True if {@code data} is no file but a Hadoop-style glob of image files ({@code *}, {@code ?}, {@code [...]},
     * {@code {a,b}}), such as {@code photos/*}{@code /*.jpg}: what Spark's binary-file source reads (issue 13).
     */
    public static boolean isFileGlob(Path data) {
        String s = data.toString();
        return !Files.exists(data) && (s.contains("*") || s.contains("?") || s.contains("[") || s.contains("{"));
    }

    /**
     * The class subfolders of {@code root}, sorted by name (class {@code i} is the {@code i}-th); hidden ones are
     * skipped.
     *
     * @throws QuantaException if there are none
     */
    public static List<Path> classFolders(Path root) {
        List<Path> classDirs = list(root, true);
        if (classDirs.isEmpty()) {
            throw QuantaException.inFile(root, "no class subfolders (expected one subfolder of images per class)");
        }
        return classDirs;
    }

    /** True if a file of this name is read as an image: not hidden, and one of {@link #EXTENSIONS}. */
    public static boolean isImageName(String fileName) {
        return !fileName.startsWith(".") && EXTENSIONS.contains(extension(fileName));
    }

    /** A reader positioned on {@code f}, chosen by content; only the header is read so far. */
    private static ImageReader open(Path f) {
        ImageInputStream in;
        try {
            in = ImageIO.createImageInputStream(f.toFile());
        } catch (IOException | RuntimeException e) {
            throw QuantaException.inFile(f, "cannot decode image: " + e.getMessage(), e);
        }
        return open(in, f.toString());
    }

    /** A reader positioned on {@code in} (the image {@code name}), chosen by content; only the header is read. */
    private static ImageReader open(ImageInputStream in, String name) {
        if (in == null) {
            throw error(name, "cannot read the file", null);
        }
        Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
        if (!readers.hasNext()) {
            closeQuietly(in);
            throw error(name, "not a readable image (no javax.imageio reader recognises its content)", null);
        }
        ImageReader reader = readers.next();
        reader.setInput(in, true, true);
        return reader;
    }

    /**
     * The image's {width, height} from its header, which must be {@code width x height} when both are positive.
     */
    private static int[] size(ImageReader reader, String name, int width, int height) {
        int iw = dimension(reader, name, true);
        int ih = dimension(reader, name, false);
        if (width > 0 && height > 0 && (iw != width || ih != height)) {
            throw error(
                    name,
                    "image is " + iw + "x" + ih + " (width x height), expected " + width + "x" + height
                            + "; images are not resized, resize them beforehand",
                    null);
        }
        return new int[] {iw, ih};
    }

    /** The width or height the image's header declares. */
    private static int dimension(ImageReader reader, String name, boolean width) {
        try {
            int d = width ? reader.getWidth(0) : reader.getHeight(0);
            if (d <= 0) {
                throw error(name, "image header declares a " + (width ? "width" : "height") + " of " + d, null);
            }
            return d;
        } catch (IOException | RuntimeException e) {
            if (e instanceof QuantaException q) {
                throw q;
            }
            throw error(name, "cannot decode image: " + e.getMessage(), e);
        }
    }

    private static BufferedImage decode(ImageReader reader, String name) {
        try {
            BufferedImage img = reader.read(0);
            if (img == null) {
                throw error(name, "not a readable image (no javax.imageio reader decodes it)", null);
            }
            return img;
        } catch (IOException | RuntimeException e) {
            if (e instanceof QuantaException q) {
                throw q;
            }
            throw error(name, "cannot decode image: " + e.getMessage(), e);
        }
    }

    /** An error in the image {@code name} (a file's path): {@code "<name>: <what>"}, as {@link QuantaException#inFile}. */
    private static QuantaException error(String name, String what, Throwable cause) {
        return cause == null ? new QuantaException(name + ": " + what) : new QuantaException(name + ": " + what, cause);
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

    private static String extension(String n) {
        int dot = n.lastIndexOf('.');
        return dot < 0 ? "" : n.substring(dot + 1).toLowerCase(Locale.ROOT);
    }

    /** True if {@code dir} has at least one non-hidden subfolder. */
    static boolean hasSubfolders(Path dir) {
        return !list(dir, true).isEmpty();
    }
}
