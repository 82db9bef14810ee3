package dev.quanta.cli;

import picocli.CommandLine;

/** Parses a float written as a number or a fraction ({@code 1/255}). */
final class FloatExpression implements CommandLine.ITypeConverter<Float> {
    @Override
    public Float convert(String value) {
        String v = value.trim();
        try {
            int slash = v.indexOf('/');
            if (slash > 0) {
                return (float) (Double.parseDouble(v.substring(0, slash)) / Double.parseDouble(v.substring(slash + 1)));
            }
            return Float.parseFloat(v);
        } catch (NumberFormatException e) {
            throw new CommandLine.TypeConversionException("'" + value + "' is not a number");
        }
    }
}
