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
                "ours ÷ server (p99");
        List<String> fanOutRows = md.lines()
                .dropWhile(l -> !l.startsWith("### Fan-out"))
                .filter(l -> l.startsWith("| ours") || l.startsWith("| raw"))
                .collect(Collectors.toList());
        assertThat(fanOutRows).hasSize(4);
        for (String row : fanOutRows) {
            String[] cells = row.split("\\|");
            // | server | p50 | p99 | max | expected | received | loss | ratio |
            assertThat(cells[7].trim()).as("loss in %s", row).isEqualTo("0");
            assertThat(cells[5].trim()).as("expected in %s", row).isNotEqualTo("0");
        }
    }
}
