package dev.sse.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class DemoFanOutTest {

    @Test
    @Timeout(90)
    void demoIsDrivenThroughItsHttpApiAndLosesNothing() throws Exception {
        BenchConfig cfg = BenchConfig.parse(new String[] {
            "--quick", "--servers=demo", "--scenarios=fanout", "--logs=target/bench-logs-test"});

        String md = BenchMain.run(cfg);

        List<String> rows = QuickSmokeTest.rows(md, "### Fan-out: 50 connections", "demo (sse-examples, HTTP API) |");
        rows.addAll(QuickSmokeTest.rows(md, "### Fan-out: 200 connections", "demo (sse-examples, HTTP API) |"));
        assertThat(rows).hasSize(2);
        for (String row : rows) {
            String[] cells = row.split("\\|");
            // | server | p50 | p99 | max | expected | received | loss | POST p50 | POST p99 | slowest POST | CPU | threads
            assertThat(cells[5].trim()).as("expected in %s", row).isNotEqualTo("0");
            assertThat(cells[7].trim()).as("loss in %s", row).isEqualTo("0");
            // A POST round trip, not a control-channel call: it was measured, so it is above zero.
            assertThat(Double.parseDouble(cells[8].trim())).as("POST p50 in %s", row).isPositive();
            assertThat(Integer.parseInt(cells[12].trim().replace(",", ""))).as("threads in %s", row)
                    .isLessThan(100);
        }
    }
}
