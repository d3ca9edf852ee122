package dev.sse.bench.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class LatencyHistogramTest {

    @Test
    void quantilesAreWithinTwoPercent() {
        LatencyHistogram h = new LatencyHistogram();
        for (int ms = 1; ms <= 1000; ms++) {
            h.record(ms * 1_000_000L);
        }
        assertThat(h.count()).isEqualTo(1000);
        assertThat(h.quantileNanos(0.5) / 1e6).isCloseTo(500, within(10.0));
        assertThat(h.quantileNanos(0.99) / 1e6).isCloseTo(990, within(20.0));
        assertThat(h.maxNanos()).isEqualTo(1_000_000_000L);
    }

    @Test
    void smallAndHugeValuesDoNotOverflowTheBuckets() {
        LatencyHistogram h = new LatencyHistogram();
        h.record(-5);
        h.record(3_000);
        h.record(600_000_000_000L);
        assertThat(h.quantileNanos(0.0)).isZero();
        assertThat(h.quantileNanos(1.0)).isEqualTo(600_000_000_000L);
    }
}
