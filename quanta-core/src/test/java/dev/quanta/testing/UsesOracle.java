package dev.quanta.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;

/**
 * Marks a test class (or method) that runs the official TFLite runtime ({@link TfliteOracle}, native code): it is left
 * out of the fast tier ({@code ./run-tests --fast}), where opening the oracle fails to say the mark is missing.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Tag("oracle")
public @interface UsesOracle {}
