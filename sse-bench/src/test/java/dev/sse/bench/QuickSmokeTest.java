package dev.sse.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class QuickSmokeTest {

    @Test
    @Timeout(90)
    void quickFanOutAgainstRawAndOursLosesNothingAndPrintsTheTable() throws Exception {
        BenchConfig cfg = BenchConfig.parse(new String[] {
            "--quick", "--servers=raw,ours", "--scenarios=memory,fanout", "--logs=target/bench-logs-test"});

        String md = BenchMain.run(cfg);

        assertThat(md).contains("### Fan-out: 200 connections", "| ours (SseServlet) |", "| raw NIO (floor) |",
                "ours ÷ server (p99", "at 20/s, after 5 unmeasured at the same rate");
        List<String> fanOutRows = rows(md, "### Fan-out: 200 connections", "ours", "raw");
        fanOutRows.addAll(rows(md, "### Fan-out: 50 connections", "ours", "raw"));
        assertThat(fanOutRows).hasSize(4);
        for (String row : fanOutRows) {
            String[] cells = row.split("\\|");
            // | server | p50 | p99 | max | expected | received | loss | ratio |
            assertThat(cells[7].trim()).as("loss in %s", row).isEqualTo("0");
            assertThat(cells[5].trim()).as("expected in %s", row).isNotEqualTo("0");
        }
    }

    @Test
    @Timeout(120)
    void quickStreamsLoseNoTokenOnHealthyStreamsAndEveryResetStreamIsCancelled() throws Exception {
        BenchConfig cfg = BenchConfig.parse(new String[] {
            "--quick", "--servers=ours,spring,raw", "--scenarios=streams", "--logs=target/bench-logs-test"});

        String md = BenchMain.run(cfg);

        assertThat(md).contains("### Streams: 40 concurrent POST streams", "| ours (SseStreams) |",
                "| Spring SseEmitter |", "| raw NIO (floor) |", "ours ÷ server (cancel p99");
        List<String> loadRows = rows(md, "### Streams: 40", "ours", "Spring", "raw");
        assertThat(loadRows).hasSize(3);
        for (String row : loadRows) {
            String[] cells = row.split("\\|");
            // | server | tokens/s | p50 | p99 | max | expected | lost | ended after [DONE] | heap | RSS | threads |
            assertThat(cells[6].trim()).as("expected in %s", row).isEqualTo("360");
            assertThat(cells[7].trim()).as("lost in %s", row).isEqualTo("0");
            assertThat(cells[8].trim()).as("ended in %s", row).isEqualTo("36 of 36");
            assertThat(cells[9].trim()).as("heap per stream in %s", row).isNotEqualTo("n/a");
        }
        List<String> resetRows = rows(md, "### Streams: 4 of them reset", "ours", "Spring", "raw");
        assertThat(resetRows).hasSize(3);
        for (String row : resetRows) {
            String[] cells = row.split("\\|");
            // | server | reset | cancelled | all produced before the reset | ...: a reset read so late that the
            // server had already produced every token has nothing left to cancel; any other must be cancelled.
            assertThat(cells[2].trim()).as("reset in %s", row).isEqualTo("4 of 4");
            assertThat(Integer.parseInt(cells[3].trim()) + Integer.parseInt(cells[4].trim()))
                    .as("cancelled or finished first in %s", row).isEqualTo(4);
        }
    }

    /** The rows of the report's section under {@code heading} whose first cell starts with one of the prefixes. */
    static List<String> rows(String md, String heading, String... rowPrefixes) {
        return md.lines()
                .dropWhile(l -> !l.startsWith(heading))
                .skip(1)
                .takeWhile(l -> !l.startsWith("###"))
                .filter(l -> java.util.Arrays.stream(rowPrefixes).anyMatch(p -> l.startsWith("| " + p)))
                .collect(Collectors.toCollection(java.util.ArrayList::new));
    }

    @Test
    @Timeout(150)
    void quickClusterSplitsStreamsOverNodesPublishingInTurnAndLosesNothing() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(RedisProcess.available(), "redis-server is installed");
        BenchConfig cfg = BenchConfig.parse(new String[] {
            "--quick", "--servers=ours", "--scenarios=cluster", "--cluster-nodes=3", "--cluster-connections=150",
            "--logs=target/bench-logs-test"});

        String md = BenchMain.run(cfg);

        assertThat(md).contains("### Cluster: 150 streams",
                "every server JVM with the parallel collector and one writer thread");
        List<String> rows = rows(md, "### Cluster", "one node", "3 nodes on one redis-server");
        assertThat(rows).as("in-memory, one node on Redis, three nodes").hasSize(3);
        for (String row : rows) {
            String[] cells = row.split("\\|");
            // | setup | p50 | p99 | max | expected | received | loss | publish calls/s | servers' CPU | redis CPU | ratio |
            assertThat(cells[5].trim()).as("expected in %s", row).isEqualTo("750");
            assertThat(cells[7].trim()).as("loss in %s", row).isEqualTo("0");
            assertThat(Double.parseDouble(cells[9].trim())).as("servers' CPU s in %s", row).isGreaterThanOrEqualTo(0);
            if (row.contains("redis-server")) {
                assertThat(Double.parseDouble(cells[10].trim())).as("redis CPU s in %s", row)
                        .isGreaterThanOrEqualTo(0);
            } else {
                assertThat(cells[10].trim()).as("no Redis in %s", row).isEqualTo("n/a");
            }
        }
    }

    @Test
    void clusterOptionsAreReadAndABadOneIsRefusedByName() {
        BenchConfig cfg = BenchConfig.parse(new String[] {"--cluster-nodes=4", "--cluster-connections=20000"});
        assertThat(cfg.clusterNodes).isEqualTo(4);
        assertThat(cfg.clusterConnections).isEqualTo(20_000);
        assertThat(BenchConfig.full().clusterNodes).isEqualTo(4);
        assertThat(BenchConfig.full().clusterConnections).isEqualTo(20_000);
        assertThat(BenchConfig.full().clusterRate).as("the fan-out rate unless told").isEqualTo(5);
        assertThat(BenchConfig.parse(new String[] {"--cluster-rate=2"}).clusterRate).isEqualTo(2);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> BenchConfig.parse(new String[] {"--cluster-rate=0"}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cluster-rate");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> BenchConfig.parse(new String[] {"--cluster-nodes=0"}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cluster-nodes");
    }
}
