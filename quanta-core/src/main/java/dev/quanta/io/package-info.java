/**
 * Model files in and out, whatever their format: {@link dev.quanta.io.ModelFiles} tells the format of a file by
 * its content and hands it to the format's reader (no format logic here), and {@link dev.quanta.io.AtomicFiles}
 * writes files safely.
 *
 * <p>{@code AtomicFiles} is the one place where Quanta writes a file: every writer ({@code TfliteWriter},
 * {@code KerasH5Writer}, quanta-examples' demo files) and the command line go through it. A file is written to a
 * temporary file next to the target, synced, given the target's mode and moved into place, so a reader sees the
 * old file or the complete new one, never a partial one; an existing target that is not a regular file, and a
 * target that is one of the job's inputs, are refused before anything is written.
 */
package dev.quanta.io;
