package dev.sse.vertx;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** An application's own body-taking route on {@link RequestBodies}, over a real Vert.x server and raw sockets. */
class RequestBodiesTest {

    private VertxServer server;

    @BeforeEach
    void start() throws Exception {
        RequestBodies prompts = RequestBodies.builder().maxBodyBytes(16).build();
        server = new VertxServer(router -> router.post("/prompt").handler(rc -> prompts.text(rc, "prompt",
                text -> rc.response().putHeader("Content-Type", "text/plain").end("got " + text))));
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
    }

    @Test
    void aWholeUtf8BodyIsHandedOverAsText() throws Exception {
        String answer = exchange("POST /prompt HTTP/1.1\r\nHost: localhost\r\nContent-Length: 6\r\n"
                + "Connection: close\r\n\r\n", "h\u00e9llo".getBytes(StandardCharsets.UTF_8));
        assertThat(answer).startsWith("HTTP/1.1 200 ").endsWith("got h\u00e9llo");
    }

    @Test
    void aMalformedChunkedBodyIsAnsweredA400NamingTheFieldBeforeVertxCloses() throws Exception {
        String answer = exchange("POST /prompt HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5\r\nhello\r\nZZ\r\nworld\r\n0\r\n\r\n", new byte[0]);
        assertThat(answer).startsWith("HTTP/1.1 400 ")
                .endsWith("{\"error\":\"malformed chunked body\",\"field\":\"prompt\"}");
    }

    @Test
    void aBodyOverTheLimitIsA413AndNeverHandedOver() throws Exception {
        String answer = exchange("POST /prompt HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "11\r\n12345678901234567\r\n0\r\n\r\n", new byte[0]);
        assertThat(answer).startsWith("HTTP/1.1 413 ").contains("\"field\":\"body\"").doesNotContain("got ");
    }

    @Test
    void bytesThatAreNotUtf8AreA400NamingTheField() throws Exception {
        String answer = exchange("POST /prompt HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n"
                + "Connection: close\r\n\r\n", new byte[] {(byte) 0xC3, (byte) 0x28});
        assertThat(answer).startsWith("HTTP/1.1 400 ").contains("\"field\":\"prompt\"").doesNotContain("got ");
    }

    private String exchange(String head, byte[] body) throws IOException {
        try (Socket s = new Socket("127.0.0.1", server.port)) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(head.getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().write(body);
            s.getOutputStream().flush();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            InputStream in = s.getInputStream();
            byte[] buf = new byte[4096];
            for (int n; (n = in.read(buf)) > 0; ) {
                out.write(buf, 0, n);
            }
            return out.toString(StandardCharsets.UTF_8);
        }
    }
}
