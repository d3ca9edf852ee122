package dev.sse.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every Java snippet of the READMEs is compiled code: each {@code ```java} block must appear, line by line and in
 * order (indentation aside, extra lines around and between allowed within twice its length), in a Java source file of
 * the repository, which its own module compiles. By convention those files sit in a {@code readme} test package, or
 * are the tested configuration itself. So the README cannot drift from the code: change one, and this test or the
 * compiler names the other.
 */
class ReadmeSnippetsTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    /** A block of a README: where it starts and its non-empty lines, trimmed. */
    private record Block(Path readme, int line, List<String> lines) {
    }

    @Test
    void everyJavaSnippetOfTheReadmesIsInACompiledSourceFile() throws IOException {
        List<List<String>> sources = new ArrayList<>();
        try (Stream<Path> files = Files.walk(ROOT)) {
            files.filter(p -> p.toString().endsWith(".java") && !p.toString().contains("/target/")
                    && p.toString().contains("/src/")).forEach(p -> sources.add(trimmedLines(p)));
        }
        List<Block> blocks = new ArrayList<>();
        try (Stream<Path> readmes = Files.walk(ROOT, 2)) {
            readmes.filter(p -> p.getFileName().toString().equals("README.md")).forEach(p -> blocks.addAll(blocks(p)));
        }
        assertThat(blocks).as("README java blocks").isNotEmpty();

        List<String> missing = new ArrayList<>();
        for (Block b : blocks) {
            if (sources.stream().noneMatch(source -> contains(source, b.lines()))) {
                missing.add(ROOT.relativize(b.readme()) + ":" + b.line() + " (" + b.lines().get(0) + ")");
            }
        }
        assertThat(missing).as("README java blocks found in no source file: copy each, verbatim, into a compiled "
                + "file of the module it uses (a `readme` test package)").isEmpty();
    }

    private static List<Block> blocks(Path readme) {
        List<String> lines = readAll(readme);
        List<Block> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).trim().equals("```java")) {
                int start = i + 1;
                List<String> body = new ArrayList<>();
                for (i++; i < lines.size() && !lines.get(i).trim().startsWith("```"); i++) {
                    String t = lines.get(i).trim();
                    if (!t.isEmpty()) {
                        body.add(t);
                    }
                }
                if (!body.isEmpty()) {
                    out.add(new Block(readme, start, body));
                }
            }
        }
        return out;
    }

    /** Whether the block's lines occur in order in the source, spread over at most twice the block's length. */
    static boolean contains(List<String> source, List<String> block) {
        for (int start = 0; start < source.size(); start++) {
            if (!source.get(start).equals(block.get(0))) {
                continue;
            }
            int matched = 1;
            int limit = Math.min(source.size(), start + 2 * block.size() + 2);
            for (int i = start + 1; i < limit && matched < block.size(); i++) {
                if (source.get(i).equals(block.get(matched))) {
                    matched++;
                }
            }
            if (matched == block.size()) {
                return true;
            }
        }
        return false;
    }

    private static List<String> trimmedLines(Path p) {
        List<String> out = new ArrayList<>();
        for (String l : readAll(p)) {
            String t = l.trim();
            if (!t.isEmpty()) {
                out.add(t);
            }
        }
        return out;
    }

    private static List<String> readAll(Path p) {
        try {
            return Files.readAllLines(p, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void aBlockMatchesOnlyInOrderAndNearTogether() {
        List<String> block = List.of("a", "b", "c");
        assertThat(contains(List.of("x", "a", "b", "y", "c"), block)).isTrue();
        assertThat(contains(List.of("a", "c", "b"), block)).isFalse();
        assertThat(contains(List.of("a", "1", "2", "3", "4", "5", "6", "7", "8", "b", "c"), block)).isFalse();
    }
}
