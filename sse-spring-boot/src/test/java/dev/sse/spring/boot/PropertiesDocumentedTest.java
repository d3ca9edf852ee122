package dev.sse.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Every {@code sse.*} property the starter binds is in the generated metadata and in the README's table. */
class PropertiesDocumentedTest {

    @Test
    void everyBoundPropertyIsInTheReadme() throws IOException {
        Path metadata = Path.of("target/classes/META-INF/spring-configuration-metadata.json");
        if (!Files.exists(metadata)) {
            // The Boot 3 module compiles these tests without generating the metadata: sse-spring-boot checks it.
            metadata = Path.of("../sse-spring-boot/target/classes/META-INF/spring-configuration-metadata.json");
        }
        String json = Files.readString(metadata, StandardCharsets.UTF_8);
        String readme = Files.readString(Path.of("../README.md"), StandardCharsets.UTF_8);
        List<String> names = new ArrayList<>();
        Matcher m = Pattern.compile("\"name\"\\s*:\\s*\"(sse\\.[a-z0-9.-]+)\"").matcher(json);
        while (m.find()) {
            names.add(m.group(1));
        }
        // Groups ("sse.redis") are listed too: only the leaves are properties.
        names.removeIf(n -> names.stream().anyMatch(other -> other.startsWith(n + ".")));
        assertThat(names).as("properties in the generated metadata").contains("sse.path", "sse.keep-alive",
                "sse.streams.keep-alive", "sse.publish");
        List<String> missing = names.stream().filter(n -> !readme.contains("`" + n + "`")).toList();
        assertThat(missing).as("sse.* properties missing from the README's Spring Boot table").isEmpty();
    }
}
