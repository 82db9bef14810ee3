package dev.quanta.cli;

import dev.quanta.ir.Model;
import dev.quanta.runtime.Benchmark;
import dev.quanta.runtime.Interpreter;
import java.nio.file.Path;

/** {@code --engine quanta}: Quanta's interpreter, measured by {@link Benchmark}. */
final class QuantaEngine implements BenchmarkEngine {
    private final Model model;
    private final int[] shape;

    /** Checks, as {@link Benchmark#check} does, that {@code model} runs with the settings of {@code o}. */
    QuantaEngine(Path file, Model model, Benchmark.Options o) {
        try {
            Benchmark.check(model, o); // the thread count changes nothing that check() looks at
        } catch (IllegalArgumentException e) {
            throw OptionErrors.refusal(file + ": ", e);
        }
        this.model = model;
        this.shape = BenchmarkEngine.plannedShape(model.inputs().get(0).shape().dims(), o);
    }

    @Override
    public String name() {
        return "quanta";
    }

    @Override
    public int[] inputShape() {
        return shape.clone();
    }

    @Override
    public Benchmark.Result run(Benchmark.Options o) {
        return Benchmark.run(model, o);
    }

    @Override
    public float[] output(Object input) {
        try (Interpreter it = new Interpreter(model)) {
            it.resizeInput(0, shape);
            it.runForMultipleInputsOutputs(new Object[] {input}, new Object[1]);
            return it.readTensorAsFloats(model.outputs().get(0));
        }
    }

    @Override
    public void close() {}
}
