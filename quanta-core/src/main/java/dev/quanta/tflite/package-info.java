/**
 * TensorFlow Lite flatbuffers ({@code .tflite}, schema version 3) to and from the IR.
 *
 * <ul>
 *   <li>{@link dev.quanta.tflite.TfliteReader}: file → {@link dev.quanta.ir.Model}, every offset checked;</li>
 *   <li>{@link dev.quanta.tflite.TfliteWriter}: {@link dev.quanta.ir.Model} → file, written atomically.</li>
 * </ul>
 *
 * <p>Internals: {@code TfliteSchema} holds the schema facts (field ids, enum values, union members);
 * {@code FbTable} is a bounds-checked flatbuffers {@code Table}; {@code TfliteFile} decodes the tables into records;
 * {@code TfliteOptions} reads and writes the builtin options tables; {@code TfliteBuilder} writes tables with a
 * {@code FlatBufferBuilder}. Operators map to IR ops in {@code TfliteImporters} (reading, keyed by builtin code)
 * and {@code TfliteExporters} (writing, keyed by IR op type, with the converter's operator versions): supporting
 * another operator means one entry in each.
 */
package dev.quanta.tflite;
