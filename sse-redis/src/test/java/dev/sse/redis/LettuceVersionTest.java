package dev.sse.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisClient;
import org.junit.jupiter.api.Test;

/** The suite runs twice: on the managed Lettuce, and on the one Spring Boot 4.0 manages; this proves which. */
class LettuceVersionTest {

    @Test
    void theSuiteRunsOnTheLettuceItSaysItDoes() {
        String jar = RedisClient.class.getProtectionDomain().getCodeSource().getLocation().toString();
        String expected = System.getProperty("expected.lettuce.version");
        if (expected != null) {
            assertThat(jar).contains("lettuce-core-" + expected + ".jar");
        } else {
            assertThat(jar).doesNotContain("lettuce-core-6.");
        }
    }
}
