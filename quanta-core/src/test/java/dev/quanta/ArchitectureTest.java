package dev.quanta;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The layering of quanta-core, checked on its compiled classes: the IR in the middle depends on nothing above it,
 * kernels and the runtime know no file format, formats know no runtime, and no two packages depend on each other
 * (the package graph has no cycles).
 *
 * <pre>
 *   dev.quanta (errors, settings)  ←  ir  ←  kernels (+ .signal)  ←  runtime  ←  quantize  ←  eval  ←  tuning, report
 *                                     ↑          files  ←  keras, tflite, onnx  ←  io  ←─────────┘
 *                                     └──────────────────  data  ←──────────────── quantize, eval
 * </pre>
 */
class ArchitectureTest {
    private static JavaClasses core;

    @BeforeAll
    static void importCore() {
        core = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.quanta");
    }

    @Test
    void packagesHaveNoCycles() {
        slices().matching("dev.quanta.(**)").should().beFreeOfCycles().check(core);
    }

    /** Quanta's packages {@code names}, each with its subpackages. */
    private static String[] quanta(String... names) {
        return Arrays.stream(names).map(n -> "dev.quanta." + n + "..").toArray(String[]::new);
    }

    /** No class in the packages {@code from} uses a class in the packages {@code to}. */
    private static void noDependency(String[] from, String[] to) {
        noClasses()
                .that()
                .resideInAnyPackage(from)
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(to)
                .check(core);
    }

    /** The classes in {@code from} use only classes of the packages {@code allowed}. */
    private static void dependsOnlyOn(String from, String... allowed) {
        noClasses()
                .that()
                .resideInAPackage(from)
                .should()
                .dependOnClassesThat()
                .resideOutsideOfPackages(allowed)
                .check(core);
    }

    @Test
    void theRootPackageDependsOnNoOtherQuantaPackage() {
        dependsOnlyOn("dev.quanta", "dev.quanta", "java..");
    }

    @Test
    void theIrDependsOnNothingAboveIt() {
        dependsOnlyOn("dev.quanta.ir..", "dev.quanta", "dev.quanta.ir..", "java..");
    }

    @Test
    void kernelsKnowNoFileFormatAndNothingAboveThem() {
        noDependency(
                quanta("kernels"),
                quanta("io", "files", "keras", "tflite", "onnx", "runtime", "quantize", "eval", "data", "summary"));
    }

    @Test
    void theRuntimeKnowsNoFileFormatAndNothingAboveIt() {
        noDependency(
                quanta("runtime"),
                quanta("io", "files", "keras", "tflite", "onnx", "quantize", "eval", "data", "summary"));
    }

    @Test
    void formatsOnlyTranslateBetweenFilesAndTheIr() {
        noDependency(
                quanta("keras", "tflite", "onnx"),
                quanta("io", "kernels", "runtime", "quantize", "eval", "data", "summary"));
    }

    @Test
    void datasetsKnowNoModelFormatAndNoRuntime() {
        noDependency(quanta("data"), quanta("io", "keras", "tflite", "onnx", "kernels", "runtime", "quantize", "eval"));
    }

    /** They run models through the runtime and load files through io, whatever the format. */
    @Test
    void quantizationAndEvaluationKnowNoKernelAndNoFormat() {
        noDependency(quanta("quantize", "eval", "summary"), quanta("kernels", "keras", "tflite", "onnx"));
    }
}
