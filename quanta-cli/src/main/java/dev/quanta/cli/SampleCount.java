package dev.quanta.cli;

import picocli.CommandLine;

/** Parses a number of samples, or {@code all}: every sample of the data ({@link Integer#MAX_VALUE}, cut to its size). */
final class SampleCount implements CommandLine.ITypeConverter<Integer> {
    @Override
    public Integer convert(String value) {
        String v = value.trim();
        if (v.equalsIgnoreCase("all")) {
            return Integer.MAX_VALUE;
        }
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new CommandLine.TypeConversionException("'" + value + "' is not a number of samples or 'all'");
        }
    }
}
