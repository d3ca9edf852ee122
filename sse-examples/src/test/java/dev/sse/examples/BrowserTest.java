package dev.sse.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.WindowType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The page in a real browser: Debian's headless Chromium through Selenium, with the browser and driver binaries
 * given explicitly so that Selenium Manager never looks for (or downloads) anything.
 *
 * <p>Skipped when Chromium is not installed, except on CI ({@code CI=true}), where a missing browser fails the build.
 * Run with {@code -Ddemo.screenshot=docs/demo.png} to refresh the README's screenshot; it always goes to
 * {@code target/demo.png}.
 */
class BrowserTest {

    private static final Path CHROMIUM = Paths.get("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Paths.get("/usr/bin/chromedriver");

    private static DemoServer demo;
    private static WebDriver driver;
    private static Path profile;

    @BeforeAll
    static void startBrowser() throws Exception {
        boolean present = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
        if (!present) {
            String why = "needs " + CHROMIUM + " and " + CHROMEDRIVER + " (apt-get install chromium chromium-driver)";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail("browser test " + why);
            }
            assumeTrue(false, "skipped: browser test " + why);
        }
        demo = DemoServer.start(0);
        profile = Files.createTempDirectory("sse-demo-chromium");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                // Two windows stream at once; neither may be throttled as a background page.
                "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
                "--disable-backgrounding-occluded-windows",
                "--window-size=1280,860", "--user-data-dir=" + profile);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort()
                .build();
        driver = new ChromeDriver(service, options);
    }

    @AfterAll
    static void stopBrowser() throws IOException {
        try {
            if (driver != null) {
                driver.quit();
            }
        } finally {
            if (demo != null) {
                demo.stop();
            }
            if (profile != null) {
                try (Stream<Path> files = Files.walk(profile)) {
                    files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
                }
            }
        }
    }

    private static WebDriverWait within(Duration timeout) {
        return new WebDriverWait(driver, timeout, Duration.ofMillis(50));
    }

    /** The DOM text, not the rendered one: CSS upper-cases some labels. */
    private static String text(String id) {
        return text(driver.findElement(By.id(id)));
    }

    private static String text(WebElement element) {
        return element.getDomProperty("textContent").trim();
    }

    private static List<WebElement> items(String listId) {
        return driver.findElements(By.cssSelector("#" + listId + " > li"));
    }

    @Test
    void pageOpensAndListsAtLeastThreeClockUpdatesWithinSixSeconds() {
        driver.get(demo.uri().toString());
        WebDriverWait sixSeconds = within(Duration.ofSeconds(6));
        sixSeconds.until(d -> text("state").equals("open"));
        sixSeconds.until(d -> items("updates").size() >= 3);

        List<WebElement> updates = items("updates");
        assertThat(text(updates.get(0))).matches("(?s)\\d{2}:\\d{2}:\\d{2}.+#\\d+");
        assertThat(text("reconnects")).isEqualTo("0");
        // Newest on top: ids fall from the first item down.
        long top = Long.parseLong(text(updates.get(0)).replaceAll("(?s).*#", ""));
        long below = Long.parseLong(text(updates.get(1)).replaceAll("(?s).*#", ""));
        assertThat(top).isGreaterThan(below);
    }

    @Test
    void notificationPostedThroughTheFormInOneWindowAppearsInAnother() throws IOException {
        driver.get(demo.uri().toString());
        String first = driver.getWindowHandle();
        within(Duration.ofSeconds(6)).until(d -> text("notify-state").equals("open"));

        driver.switchTo().newWindow(WindowType.WINDOW);
        String second = driver.getWindowHandle();
        driver.get(demo.uri().toString());
        within(Duration.ofSeconds(6)).until(d -> text("notify-state").equals("open"));

        driver.switchTo().window(first);
        // Text that would run as markup if the page used innerHTML.
        String message = "Deploy finished <b>without</b> errors";
        driver.findElement(By.id("notify-text")).sendKeys(message);
        driver.findElement(By.id("notify-event")).sendKeys("success");
        driver.findElement(By.id("notify-send")).click();
        within(Duration.ofSeconds(5)).until(d -> text("notify-result").startsWith("Broadcast as event #"));

        driver.switchTo().window(second);
        within(Duration.ofSeconds(5)).until(d -> !items("notifications").isEmpty());
        WebElement received = items("notifications").get(0);
        assertThat(text(received)).contains(message).contains("success");
        assertThat(received.findElements(By.tagName("b"))).isEmpty();

        driver.switchTo().window(first);
        within(Duration.ofSeconds(5)).until(d -> !items("notifications").isEmpty() && !text("connections").equals("–"));
        within(Duration.ofSeconds(6)).until(d -> items("updates").size() >= 4);
        screenshot();

        driver.switchTo().window(second);
        driver.close();
        driver.switchTo().window(first);
    }

    @Test
    void chatPanelStreamsThePromptsWordsAndStopCancelsTheChatOnTheServer() {
        driver.get(demo.uri().toString());
        long cancelledBefore = demo.streams().chat().cancelled();
        // Text that would run as markup if the page used innerHTML.
        driver.findElement(By.id("chat-prompt")).sendKeys("alpha beta <b>gamma</b>");
        WebElement tokens = driver.findElement(By.id("chat-tokens"));
        tokens.clear();
        tokens.sendKeys("2000");
        WebElement interval = driver.findElement(By.id("chat-interval"));
        interval.clear();
        interval.sendKeys("100");
        driver.findElement(By.id("chat-send")).click();

        within(Duration.ofSeconds(5)).until(d -> text("chat-answer").startsWith("alpha beta <b>gamma</b> alpha beta"));
        assertThat(text("chat-state")).isEqualTo("streaming");
        assertThat(driver.findElements(By.cssSelector("#chat-answer b"))).isEmpty();
        assertThat(demo.streams().chat().active()).isEqualTo(1);

        driver.findElement(By.id("chat-stop")).click();
        within(Duration.ofSeconds(2)).until(d -> text("chat-state").equals("stopped"));
        assertThat(text("chat-result")).startsWith("Stopped after ");
        // The abort closes the connection: the server finds it at its next token and stops generating.
        within(Duration.ofSeconds(2)).until(d -> demo.streams().chat().cancelled() == cancelledBefore + 1);
        assertThat(demo.streams().chat().active()).isZero();
    }

    private static void screenshot() throws IOException {
        Path png = ((ChromeDriver) driver).getScreenshotAs(OutputType.FILE).toPath();
        Files.copy(png, Paths.get("target", "demo.png"), StandardCopyOption.REPLACE_EXISTING);
        String docs = System.getProperty("demo.screenshot");
        if (docs != null && !docs.isBlank()) {
            Files.copy(png, Paths.get(docs), StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
