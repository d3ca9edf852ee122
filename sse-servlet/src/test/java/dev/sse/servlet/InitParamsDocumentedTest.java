package dev.sse.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every init-param the servlet reads is a row of its Javadoc table, so a new setting cannot go undocumented. */
class InitParamsDocumentedTest {

    @Test
    void everyInitParamIsInSseServletsJavadocTable() throws IOException {
        String source = Files.readString(Path.of("src/main/java/dev/sse/servlet/SseServlet.java"),
                StandardCharsets.UTF_8);
        List<String> missing = Settings.NAMES.stream().sorted()
                .filter(name -> !source.contains("<tr><td>{@code " + name + "}")).toList();
        assertThat(missing).as("init-params without a row in SseServlet's Javadoc table").isEmpty();
    }
}
