package dev.quanta.data;

import dev.quanta.QuantaException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Reads NumPy {@code .npz} archives: a zip (stored or deflated entries) of {@code .npy} files, as written by {@code
 * np.savez} / {@code np.savez_compressed}. Array names are the entry names without {@code .npy}; other entries are
 * ignored.
 */
public final class NpzReader {
    private NpzReader() {}

    /**
     * Reads every array, keyed by name, in archive order.
     *
     * @throws QuantaException for a missing or corrupt archive or a malformed array
     */
    public static Map<String, NpyArray> read(Path file) {
        Map<String, NpyArray> out = new LinkedHashMap<>();
        try (ZipFile zip = open(file)) {
            for (ZipEntry e : entries(zip)) {
                out.put(key(e), readEntry(zip, e, file));
            }
        } catch (IOException e) {
            throw QuantaException.inFile(file, "cannot read .npz archive: " + e.getMessage(), e);
        }
        return out;
    }

    /** The array names in archive order. */
    public static List<String> names(Path file) {
        try (ZipFile zip = open(file)) {
            List<String> names = new ArrayList<>();
            for (ZipEntry e : entries(zip)) {
                names.add(key(e));
            }
            return names;
        } catch (IOException e) {
            throw QuantaException.inFile(file, "cannot read .npz archive: " + e.getMessage(), e);
        }
    }

    /**
     * Reads the array called {@code name}.
     *
     * @throws QuantaException if there is no such array (the message lists the names present)
     */
    public static NpyArray read(Path file, String name) {
        try (ZipFile zip = open(file)) {
            List<String> names = new ArrayList<>();
            for (ZipEntry e : entries(zip)) {
                if (key(e).equals(name)) {
                    return readEntry(zip, e, file);
                }
                names.add(key(e));
            }
            throw QuantaException.inFile(file, "no array '" + name + "' in the archive; it holds " + names);
        } catch (IOException e) {
            throw QuantaException.inFile(file, "cannot read .npz archive: " + e.getMessage(), e);
        }
    }

    static ZipFile open(Path file) {
        DataIo.requireFile(file, "NumPy .npz");
        try {
            return new ZipFile(file.toFile());
        } catch (ZipException e) {
            throw QuantaException.inFile(file, "not a valid .npz (zip) archive, or truncated: " + e.getMessage(), e);
        } catch (IOException e) {
            throw QuantaException.inFile(file, "cannot open .npz archive: " + e.getMessage(), e);
        }
    }

    static List<ZipEntry> entries(ZipFile zip) {
        List<ZipEntry> list = new ArrayList<>();
        for (Enumeration<? extends ZipEntry> en = zip.entries(); en.hasMoreElements(); ) {
            ZipEntry e = en.nextElement();
            if (!e.isDirectory() && e.getName().endsWith(".npy")) {
                list.add(e);
            }
        }
        return Collections.unmodifiableList(list);
    }

    private static String key(ZipEntry e) {
        String n = e.getName();
        return n.substring(0, n.length() - ".npy".length());
    }

    private static NpyArray readEntry(ZipFile zip, ZipEntry e, Path file) {
        try (DataStream s = entry(zip, e, file)) {
            return NpyReader.read(s);
        }
    }

    /** A stream over the array {@code e} of {@code zip}; messages name the array. */
    static DataStream entry(ZipFile zip, ZipEntry e, Path file) {
        return DataStream.entry(zip, e, file, "array '" + key(e) + "': ");
    }

    /** The entry of the array called {@code name}, or null. */
    static ZipEntry find(ZipFile zip, String name) {
        for (ZipEntry e : entries(zip)) {
            if (key(e).equals(name)) {
                return e;
            }
        }
        return null;
    }
}
