package dev.sse.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sse.bench.server.ServerKind;
import java.util.List;
import org.junit.jupiter.api.Test;

class ServerProcessTest {

    @Test
    void serversRunG1UnlessTheirOptionsNameAnotherCollector() {
        assertThat(ServerProcess.command(ServerKind.OURS, "1g", List.of(), null)).contains("-XX:+UseG1GC");
        List<String> parallel = ServerProcess.command(ServerKind.OURS, "1g",
                List.of("-XX:+UseParallelGC", "-Dsse.bench.writerThreads=1"), null);
        assertThat(parallel).contains("-XX:+UseParallelGC", "-Dsse.bench.writerThreads=1")
                .doesNotContain("-XX:+UseG1GC");
    }

    @Test
    void theEnvironmentsCollectorWinsOverTheScenarios() {
        List<String> cmd = ServerProcess.command(ServerKind.OURS, "1g",
                List.of("-XX:+UseParallelGC", "-Dsse.bench.writerThreads=1"), " -XX:+UseSerialGC  -Xss512k ");
        assertThat(cmd).contains("-XX:+UseSerialGC", "-Xss512k", "-Dsse.bench.writerThreads=1")
                .doesNotContain("-XX:+UseParallelGC", "-XX:+UseG1GC", "");
    }
}
