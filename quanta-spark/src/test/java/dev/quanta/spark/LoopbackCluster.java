package dev.quanta.spark;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * A real Spark standalone cluster on the loopback address, for tests: a master and {@code n} workers of one core
 * each, every one a child JVM started from the test's own class path (Spark's {@code Master} and {@code Worker}
 * main classes). Workers start executors as Spark does, from a SPARK_HOME made for the purpose (an empty
 * {@code jars} directory and a {@code RELEASE} file), with the test's class path as the executors' extra class path.
 * {@link #close()} (also run by a shutdown hook) destroys every child JVM and what it started.
 */
final class LoopbackCluster implements AutoCloseable {
    private final Path dir;
    private final String classPath;
    private final List<String> jvmOptions;
    private final Process master;
    private final List<Process> workers = new ArrayList<>();
    private final int masterPort;
    private final Thread hook;

    private LoopbackCluster(Path dir) throws IOException {
        this.dir = dir;
        this.classPath = expandedClassPath();
        this.jvmOptions = ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("--add-opens")
                        || a.startsWith("--enable-native-access")
                        || a.startsWith("--sun-misc-unsafe")
                        || a.startsWith("-Dio.netty"))
                .toList();
        Path home = Files.createDirectories(dir.resolve("spark-home"));
        Files.createDirectories(home.resolve("jars"));
        Files.writeString(home.resolve("RELEASE"), "Spark for Quanta's loopback cluster test\n");
        Files.createDirectories(dir.resolve("work"));
        this.hook = new Thread(this::destroyAll, "loopback-cluster-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
        masterPort = freePort();
        master = start(
                "master",
                "org.apache.spark.deploy.master.Master",
                "--host",
                "127.0.0.1",
                "--port",
                Integer.toString(masterPort),
                "--webui-port",
                Integer.toString(freePort()));
    }

    /**
     * Starts a master and {@code workers} workers of one core and {@code workerMemory} (e.g. {@code 1g}) each,
     * logging to files in {@code dir}.
     */
    static LoopbackCluster start(Path dir, int workers, String workerMemory) throws IOException {
        LoopbackCluster c = new LoopbackCluster(dir);
        try {
            c.awaitPort(c.masterPort);
            for (int i = 0; i < workers; i++) {
                c.workers.add(c.start(
                        "worker" + i,
                        "org.apache.spark.deploy.worker.Worker",
                        "--host",
                        "127.0.0.1",
                        "--cores",
                        "1",
                        "--memory",
                        workerMemory,
                        "--webui-port",
                        Integer.toString(freePort()),
                        "--work-dir",
                        dir.resolve("work").toString(),
                        c.masterUrl()));
            }
            return c;
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    /** The master's URL, {@code spark://127.0.0.1:PORT}. */
    String masterUrl() {
        return "spark://127.0.0.1:" + masterPort;
    }

    /** The class path for the executors: every entry of the test JVM's. */
    String classPath() {
        return classPath;
    }

    /** The worker processes, in start order. */
    List<Process> workers() {
        return List.copyOf(workers);
    }

    /** Kills worker {@code i} and the executor it started, at once (as a machine that dies). */
    void killWorker(int i) {
        Process w = workers.get(i);
        w.descendants().forEach(ProcessHandle::destroyForcibly);
        w.destroyForcibly();
    }

    /** The last lines of every child's log, for a failure message. */
    String logs() {
        StringBuilder b = new StringBuilder();
        try (var files = Files.list(dir)) {
            for (Path p :
                    files.filter(f -> f.toString().endsWith(".log")).sorted().toList()) {
                List<String> lines = Files.readAllLines(p);
                b.append("== ").append(p.getFileName()).append('\n');
                lines.subList(Math.max(0, lines.size() - 20), lines.size())
                        .forEach(l -> b.append(l).append('\n'));
            }
        } catch (IOException e) {
            b.append("(logs unreadable: ").append(e.getMessage()).append(")\n");
        }
        return b.toString();
    }

    private Process start(String name, String mainClass, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx256m");
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(classPath);
        cmd.add(mainClass);
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve(name + ".log").toFile());
        Map<String, String> env = pb.environment();
        env.put("SPARK_LOCAL_IP", "127.0.0.1");
        env.put("SPARK_HOME", dir.resolve("spark-home").toString());
        env.put("SPARK_SCALA_VERSION", "2.13");
        env.put("SPARK_NO_DAEMONIZE", "1");
        return pb.start();
    }

    private void awaitPort(int port) {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (!master.isAlive()) {
                throw new IllegalStateException("the Spark master exited:\n" + logs());
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
                return;
            } catch (IOException e) {
                try {
                    Thread.sleep(200);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(ie);
                }
            }
        }
        throw new IllegalStateException("the Spark master did not listen on port " + port + " in 60 s:\n" + logs());
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /**
     * The test JVM's class path with a manifest-only jar (as surefire starts tests) replaced by the entries its
     * manifest lists.
     */
    private static String expandedClassPath() {
        List<String> entries = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            entries.add(e);
            if (e.endsWith(".jar")) {
                try (JarFile jar = new JarFile(e)) {
                    Manifest m = jar.getManifest();
                    String cp = m == null ? null : m.getMainAttributes().getValue("Class-Path");
                    if (cp != null) {
                        for (String u : cp.trim().split("\\s+")) {
                            entries.add(Path.of(java.net.URI.create(
                                            u.startsWith("file:")
                                                    ? u
                                                    : Path.of(e).getParent().toUri() + u))
                                    .toString());
                        }
                    }
                } catch (IOException ex) {
                    throw new UncheckedIOException(ex);
                }
            }
        }
        return String.join(File.pathSeparator, entries);
    }

    private void destroyAll() {
        List<Process> all = new ArrayList<>(workers);
        if (master != null) {
            all.add(master);
        }
        for (Process p : all) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        for (Process p : all) {
            try {
                p.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    @Override
    public void close() {
        destroyAll();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // already shutting down: the hook runs
        }
    }
}
