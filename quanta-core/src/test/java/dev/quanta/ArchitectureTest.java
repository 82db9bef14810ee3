package dev.quanta;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The layering of quanta-core, checked on its compiled classes: the IR in the middle depends on nothing above it,
 * kernels and the runtime know no file format, formats know no runtime, and no two packages depend on each other
 * (the package graph has no cycles).
 *
 * <pre>
 *   dev.quanta (errors, settings)  ←  ir  ←  kernels (+ .signal)  ←  runtime  ←  quantize  ←  eval
 *                                     ↑          files  ←  keras, tflite  ←  io  ←───────────────┘
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

    @Test
    void theRootPackageDependsOnNoOtherQuantaPackage() {
        noClasses()
                .that()
                .resideInAPackage("dev.quanta")
                .should()
                .dependOnClassesThat()
                .resideOutsideOfPackages("dev.quanta", "java..")
                .check(core);
    }

    @Test
    void theIrDependsOnNothingAboveIt() {
        noClasses()
                .that()
                .resideInAPackage("dev.quanta.ir..")
                .should()
                .dependOnClassesThat()
                .resideOutsideOfPackages("dev.quanta", "dev.quanta.ir..", "java..")
                .check(core);
    }

    @Test
    void kernelsKnowNoFileFormatAndNothingAboveThem() {
        noClasses()
                .that()
                .resideInAPackage("dev.quanta.kernels..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        "dev.quanta.io..",
                        "dev.quanta.files..",
                        "dev.quanta.keras..",
                        "dev.quanta.tflite..",
                        "dev.quanta.runtime..",
                        "dev.quanta.quantize..",
                        "dev.quanta.eval..",
                        "dev.quanta.data..",
                        "dev.quanta.summary..")
                .check(core);
    }

    @Test
    void theRuntimeKnowsNoFileFormatAndNothingAboveIt() {
        noClasses()
                .that()
                .resideInAPackage("dev.quanta.runtime..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        "dev.quanta.io..",
                        "dev.quanta.files..",
                        "dev.quanta.keras..",
                        "dev.quanta.tflite..",
                        "dev.quanta.quantize..",
                        "dev.quanta.eval..",
                        "dev.quanta.data..",
                        "dev.quanta.summary..")
                .check(core);
    }

    @Test
    void formatsOnlyTranslateBetweenFilesAndTheIr() {
        noClasses()
                .that()
                .resideInAnyPackage("dev.quanta.keras..", "dev.quanta.tflite..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        "dev.quanta.io..",
                        "dev.quanta.kernels..",
                        "dev.quanta.runtime..",
                        "dev.quanta.quantize..",
                        "dev.quanta.eval..",
                        "dev.quanta.data..",
                        "dev.quanta.summary..")
                .check(core);
    }

    @Test
    void datasetsKnowNoModelFormatAndNoRuntime() {
        noClasses()
                .that()
                .resideInAPackage("dev.quanta.data..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        "dev.quanta.io..",
                        "dev.quanta.keras..",
                        "dev.quanta.tflite..",
                        "dev.quanta.kernels..",
                        "dev.quanta.runtime..",
                        "dev.quanta.quantize..",
                        "dev.quanta.eval..")
                .check(core);
    }

    /** They run models through the runtime and load files through io, whatever the format. */
    @Test
    void quantizationAndEvaluationKnowNoKernelAndNoFormat() {
        noClasses()
                .that()
                .resideInAnyPackage("dev.quanta.quantize..", "dev.quanta.eval..", "dev.quanta.summary..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("dev.quanta.kernels..", "dev.quanta.keras..", "dev.quanta.tflite..")
                .check(core);
    }
}
