package dev.quanta.spark;

import dev.quanta.eval.Evaluator;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.StageInfo;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The progress of the Spark jobs of one job group, from Spark's own events on the driver, reported to an
 * {@link Evaluator.Progress} (the command line's bar).
 *
 * <p>A listener counts each partition once, when its first task ends successfully, however often Spark re-runs it
 * (a lost executor, a speculative copy). With the samples of each partition known (partitions of whole batches),
 * {@code done = Σ samples[p]} over the finished partitions p of the jobs' result stage and {@code total = Σ samples},
 * exact to the sample; without, {@code done} is the finished tasks and {@code total} the tasks of the jobs started so
 * far. {@code done} never decreases; the last report is {@code (total, total)} once the jobs have ended. Updates come
 * on Spark's listener thread, and the last on the caller's unless the listener sent it; none after {@link #close},
 * which unregisters the listener.
 */
final class SparkProgress extends SparkListener implements AutoCloseable {
    /** How long {@link #finish} waits for Spark's events of the ended jobs to reach the listener. */
    private static final long EVENT_WAIT_MILLIS = 5000;

    private final SparkContext sc;
    private final String group;
    private final long[] samples;
    private final long sampleTotal;
    private final Evaluator.Progress progress;

    /** The result stage of each job of the group, by stage id: the one whose partitions the samples are cut into. */
    private final Set<Integer> resultStages = new HashSet<>();
    /** Tasks of each stage of the group's jobs, by stage id. */
    private final Map<Integer, Integer> stageTasks = new HashMap<>();

    private final Set<Integer> running = new HashSet<>();
    private final BitSet finishedPartitions = new BitSet();
    private final Set<Long> finishedTasks = new HashSet<>();
    private boolean started;
    private boolean closed;
    private long done;
    private long taskTotal;
    /** The last update sent, -1 before any. */
    private long reportedDone = -1;

    private long reportedTotal = -1;

    private SparkProgress(SparkContext sc, String group, long[] samples, Evaluator.Progress progress) {
        this.sc = sc;
        this.group = group;
        this.samples = samples;
        long sum = 0;
        if (samples != null) {
            for (long s : samples) {
                sum += s;
            }
        }
        this.sampleTotal = sum;
        this.progress = progress;
    }

    /**
     * Follows the jobs that {@code sc}'s job group {@code group} runs from now on.
     *
     * @param samples the samples of each partition of the jobs' result stage (its tasks), or null to count tasks
     */
    static SparkProgress follow(SparkContext sc, String group, long[] samples, Evaluator.Progress progress) {
        SparkProgress p = new SparkProgress(sc, group, samples, progress);
        sc.addSparkListener(p);
        return p;
    }

    /** The samples of each range {from, to}, for {@link #follow}. */
    static long[] samples(List<int[]> ranges) {
        long[] s = new long[ranges.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = ranges.get(i)[1] - ranges.get(i)[0];
        }
        return s;
    }

    /**
     * The rows of each partition of {@code table} (a Parquet table, say), counted by a job that reads no column (a
     * Parquet scan then reads only its row groups' row counts); a transformation of the table row by row
     * ({@code mapPartitions}) has the same partitions, so this is {@link #follow}'s samples for it.
     */
    static long[] rowsPerPartition(org.apache.spark.sql.Dataset<org.apache.spark.sql.Row> table) {
        List<long[]> counts = table.select(new org.apache.spark.sql.Column[0])
                .javaRDD()
                .mapPartitionsWithIndex(
                        (Integer partition, java.util.Iterator<org.apache.spark.sql.Row> rows) -> {
                            long n = 0;
                            for (; rows.hasNext(); rows.next()) {
                                n++;
                            }
                            return List.of(new long[] {partition, n}).iterator();
                        },
                        false)
                .collect();
        long[] rows = new long[table.rdd().getNumPartitions()];
        for (long[] c : counts) {
            rows[(int) c[0]] = c[1];
        }
        return rows;
    }

    @Override
    public synchronized void onJobStart(SparkListenerJobStart job) {
        if (closed
                || !group.equals(
                        job.properties() == null ? null : job.properties().getProperty(GROUP_KEY))) {
            return;
        }
        started = true;
        running.add(job.jobId());
        int result = -1;
        for (StageInfo stage : CollectionConverters.asJava(job.stageInfos())) {
            if (stageTasks.putIfAbsent(stage.stageId(), stage.numTasks()) == null) {
                taskTotal += stage.numTasks();
            }
            result = Math.max(result, stage.stageId()); // a job's result stage is created after its parents
        }
        if (result >= 0) {
            resultStages.add(result);
        }
        report();
    }

    @Override
    public synchronized void onTaskEnd(SparkListenerTaskEnd task) {
        if (closed || !task.taskInfo().successful() || !stageTasks.containsKey(task.stageId())) {
            return;
        }
        int partition = task.taskInfo().partitionId();
        if (samples == null) {
            if (finishedTasks.add(((long) task.stageId() << 32) | partition)) {
                done++;
                report();
            }
        } else if (resultStages.contains(task.stageId())
                && stageTasks.get(task.stageId()) == samples.length
                && partition >= 0
                && partition < samples.length
                && !finishedPartitions.get(partition)) {
            finishedPartitions.set(partition);
            done += samples[partition];
            report();
        }
    }

    @Override
    public synchronized void onJobEnd(SparkListenerJobEnd job) {
        if (running.remove(job.jobId()) && running.isEmpty()) {
            notifyAll();
        }
    }

    private void report() {
        long total = samples == null ? taskTotal : sampleTotal;
        if (total > 0 || samples != null) {
            reportedDone = Math.min(done, total);
            reportedTotal = total;
            progress.update((int) reportedDone, (int) total);
        }
    }

    /**
     * After the jobs returned: waits (a little) until Spark's events of their ends have reached the listener, stops
     * listening and reports {@code (total, total)}.
     */
    synchronized void finish() {
        long deadline = System.nanoTime() + EVENT_WAIT_MILLIS * 1_000_000L;
        while (!(started && running.isEmpty())) {
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (left <= 0) {
                break;
            }
            try {
                wait(left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        closed = true;
        long total = samples == null ? taskTotal : sampleTotal;
        if ((total > 0 || samples != null) && !(reportedDone == total && reportedTotal == total)) {
            done = total;
            progress.update((int) total, (int) total);
        }
    }

    /** Stops listening: no update after this returns. */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
        }
        sc.removeSparkListener(this);
    }

    /** The job property holding the job group's id ({@link SparkContext#setJobGroup}). */
    private static final String GROUP_KEY = "spark.jobGroup.id";
}
