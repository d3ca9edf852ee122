package dev.sse.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class ClientThroughputTest {

    @Test
    @Timeout(30)
    void okhttpEventSourcePullReaderGetsEveryEventOfAShortLocalStream() throws Exception {
        try (ClientThroughput.StreamServer server = new ClientThroughput.StreamServer(64, 500)) {
            ClientThroughput.Read read = ClientThroughput.okhttpPull(server.uri(), 500, Map.of());

            assertThat(read).extracting(ClientThroughput.Read::events, ClientThroughput.Read::dataChars,
                    ClientThroughput.Read::lastId).containsExactly(500L, 500L * 64, "499");
            assertThat(read.allocated()).isPositive();
        }
    }

    @Test
    @Timeout(30)
    void okhttpEventSourceBackgroundReaderGetsEveryEventOfAShortLocalStream() throws Exception {
        try (ClientThroughput.StreamServer server = new ClientThroughput.StreamServer(4096, 50)) {
            ClientThroughput.Read read = ClientThroughput.okhttpBackground(server.uri(), 50, Map.of());

            assertThat(read).extracting(ClientThroughput.Read::events, ClientThroughput.Read::dataChars,
                    ClientThroughput.Read::lastId).containsExactly(50L, 50L * 4096, "49");
        }
    }

    @Test
    void aReadThatMissedTheLastEventFailsTheCheck() {
        ClientThroughput.Read read = new ClientThroughput.Read(0, 500, 500L * 64, "498");

        assertThatIllegalStateException()
                .isThrownBy(() -> read.check("reader", 500, 64)).withMessageContaining("last id 498");
    }
}
