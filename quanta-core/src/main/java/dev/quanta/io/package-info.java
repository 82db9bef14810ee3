/**
 * Model files of any format: {@link dev.quanta.io.ModelFiles} tells the format of a file by its content and hands
 * it to that format's reader. No format logic lives here.
 */
package dev.quanta.io;
