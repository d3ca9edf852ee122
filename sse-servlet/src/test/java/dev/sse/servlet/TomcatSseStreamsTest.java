package dev.sse.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sse.core.CloseReason;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Per-request streams on embedded Tomcat 11. The reset-during-the-last-write case runs here only: Tomcat refuses a
 * write to a reset socket every time, while Jetty under load now and then reports the last batch written (the
 * mechanism itself is tested in sse-core's EventChannel tests).
 */
class TomcatSseStreamsTest extends AbstractSseStreamsTest {
    @Override
    ServerFixture newServer() {
        return new TomcatFixture();
    }

    @Test
    void aClientThatLeftBeforeTheLastFramesWentOutIsGoneNotCompleted() throws Exception {
        start();
        SseClient c = post("mode=afterReset");
        c.reset();
        clientReset.countDown();

        // The last tokens and the terminal event are handed over in one write that the reset socket refuses.
        assertThat(closes.poll(10, TimeUnit.SECONDS)).isEqualTo(CloseReason.CLIENT_GONE);
    }

}
