namespace Oms.Tests.Infrastructure;

/// <summary>Polls a condition that becomes true asynchronously (pushed views, timers, reminders).</summary>
public static class Eventually
{
    public static async Task<T> Until<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan within, string because)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            var value = await probe();
            if (done(value))
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Not reached within {within}: {because}. Last value: {value}");
            }

            await Task.Delay(100);
        }
    }
}
