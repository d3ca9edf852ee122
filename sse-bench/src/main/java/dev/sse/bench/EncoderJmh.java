package dev.sse.bench;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * Runs {@link EncoderBenchmark} through JMH's API (its forks run from the same shaded jar) with the GC profiler,
 * and renders one table per data size and recipient count: time and allocation per recipient, ours against
 * Spring's and Jersey's event writers. Called from the orchestrating thread.
 */
final class EncoderJmh {

    static final String OURS = "ours (SseFrame, encode once)";
    static final String SPRING = "Spring SseEmitter (build per send)";
    static final String JERSEY = "Jersey OutboundEventWriter";

    /**
     * How long JMH measures.
     *
     * @param forks forked JVMs per benchmark; 0 runs in this JVM (tests only: no isolation)
     * @param warmups warm-up iterations
     * @param iterations measured iterations
     * @param iterationMillis length of each iteration
     * @param recipients the recipient counts to run
     */
    record Settings(int forks, int warmups, int iterations, int iterationMillis, String... recipients) {

        /** The full run's: 1 fork, 2 warm-up and 3 measured iterations of 1 s; about 80 s for all twelve. */
        static final Settings FULL = new Settings(1, 2, 3, 1000, "1", "10000");

        /** The smoke run's: proves the forks start from the jar and the table renders; figures meaningless. */
        static final Settings QUICK = new Settings(1, 1, 1, 100, "1", "10000");

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%d fork(s), %d warm-up and %d measured iterations of %d ms, recipients %s",
                    forks, warmups, iterations, iterationMillis, String.join(" and ", recipients));
        }
    }

    private EncoderJmh() {
    }

    /**
     * Runs the benchmarks and adds their tables to the report.
     *
     * @param report where the tables go
     * @param settings how long to measure
     * @throws RunnerException if JMH fails, a benchmark included
     */
    static void run(Report report, Settings settings) throws RunnerException {
        ChainedOptionsBuilder options = new OptionsBuilder()
                .include(EncoderBenchmark.class.getName() + "\\.")
                .forks(settings.forks())
                .warmupIterations(settings.warmups())
                .warmupTime(TimeValue.milliseconds(settings.iterationMillis()))
                .measurementIterations(settings.iterations())
                .measurementTime(TimeValue.milliseconds(settings.iterationMillis()))
                .timeUnit(TimeUnit.NANOSECONDS)
                .param("recipients", settings.recipients())
                .addProfiler(GCProfiler.class)
                .shouldFailOnError(true)
                .verbosity(VerboseMode.SILENT);
        if (settings.forks() > 0) {
            // A fixed heap so that heap resizing does not land in one library's iterations.
            options.jvmArgs("-Xms512m", "-Xmx512m");
        }
        Collection<RunResult> results = new Runner(options.build()).run();
        render(report, results, settings);
    }

    private static void render(Report report, Collection<RunResult> results, Settings settings) {
        for (String data : new String[] {EncoderBenchmark.SHORT, EncoderBenchmark.MULTI_LINE_4K}) {
            for (String recipients : settings.recipients()) {
                List<RunResult> rows = new ArrayList<>();
                for (RunResult r : results) {
                    if (data.equals(r.getParams().getParam("data"))
                            && recipients.equals(r.getParams().getParam("recipients"))) {
                        rows.add(r);
                    }
                }
                if (rows.isEmpty()) {
                    continue;
                }
                int n = Integer.parseInt(recipients);
                Report.Table table = report.table(String.format(Locale.ROOT,
                        "Encoder (JMH): one event (id, event, %s data), %s recipient%s; per recipient", describe(data),
                        Report.num(n), n == 1 ? "" : "s"), "encoder", OURS,
                        new String[] {"ns/recipient", "B/recipient"}, true,
                        "ns/recipient", "± (99.9% CI)", "B/recipient (gc.alloc.rate.norm)");
                for (String method : new String[] {"ours", "spring", "jersey"}) {
                    for (RunResult r : rows) {
                        if (r.getParams().getBenchmark().endsWith("." + method)) {
                            row(table, method, r, n);
                        }
                    }
                }
            }
        }
        report.text(String.format(Locale.ROOT, "JMH %d fork(s), %d warm-up and %d measured iterations of %d ms, "
                + "GC profiler; the stream is a blackhole. Spring and Jersey are lower bounds: see "
                + "`EncoderBenchmark`.%n", settings.forks(), settings.warmups(), settings.iterations(),
                settings.iterationMillis()));
    }

    private static void row(Report.Table table, String method, RunResult r, int recipients) {
        Result<?> time = r.getPrimaryResult();
        Result<?> alloc = r.getSecondaryResults().get("gc.alloc.rate.norm");
        double ns = time.getScore() / recipients;
        double bytes = alloc == null ? Double.NaN : alloc.getScore() / recipients;
        String label = method.equals("ours") ? OURS : method.equals("spring") ? SPRING : JERSEY;
        double error = time.getScoreError() / recipients;
        table.row(label, new double[] {ns, bytes}, decimal(ns), Double.isNaN(error) ? "n/a" : decimal(error),
                Double.isNaN(bytes) ? "n/a" : decimal(bytes));
    }

    private static String describe(String data) {
        return data.equals(EncoderBenchmark.SHORT)
                ? "short (" + EncoderBenchmark.text(data).length() + " B)"
                : "4 KiB multi-line (64 lines)";
    }

    /** Two decimals below 10, where amortised figures live; whole numbers above. */
    private static String decimal(double v) {
        return Math.abs(v) < 10 ? String.format(Locale.ROOT, "%.2f", v) : Report.num(Math.rint(v));
    }
}
