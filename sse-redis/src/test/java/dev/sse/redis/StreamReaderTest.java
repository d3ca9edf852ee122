package dev.sse.redis;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class StreamReaderTest {

    @Test
    void aQuietStreamIsReadAgainAtOnce() {
        for (int entries = 0; entries < StreamReader.BUSY_READ; entries++) {
            assertThat(StreamReader.pauseAfter(entries)).as("pause after %d entries", entries).isZero();
        }
    }

    @Test
    void aBusyStreamGathersABatchBeforeTheNextRead() {
        assertThat(StreamReader.pauseAfter(StreamReader.BUSY_READ)).isEqualTo(StreamReader.BUSY_PAUSE_NANOS);
        assertThat(StreamReader.pauseAfter(500)).isEqualTo(StreamReader.BUSY_PAUSE_NANOS);
        // Short enough that a busy stream's events are not held back noticeably.
        assertThat(StreamReader.BUSY_PAUSE_NANOS).isPositive().isLessThanOrEqualTo(1_000_000);
    }
}
