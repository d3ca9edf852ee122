package dev.sse.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class EncoderJmhTest {

    @Test
    @Timeout(60)
    void tinyInProcessRunRendersOneRowPerLibraryWithTimeAndAllocation() throws Exception {
        Report report = new Report();

        EncoderJmh.run(report, new EncoderJmh.Settings(0, 1, 1, 20, "1"));

        String md = report.markdown();
        assertThat(md).contains("### Encoder (JMH): one event (id, event, short (27 B) data), 1 recipient",
                "### Encoder (JMH): one event (id, event, 4 KiB multi-line (64 lines) data), 1 recipient",
                "ours ÷ server (ns/recipient, lower is better)", "ours ÷ server (B/recipient, lower is better)");
        List<String> rows = md.lines().filter(l -> l.startsWith("| ours") || l.startsWith("| Spring")
                || l.startsWith("| Jersey")).collect(Collectors.toList());
        assertThat(rows).hasSize(6);
        for (String row : rows) {
            String[] cells = row.split("\\|");
            // | encoder | ns | ± | B | ratio ns | ratio B |
            assertThat(cells).as(row).hasSize(7);
            assertThat(cells[4].trim()).as("B/recipient in %s", row).isNotEqualTo("n/a");
            assertThat(cells[5].trim()).as("ns ratio in %s", row).isNotEqualTo("n/a");
        }
    }
}
