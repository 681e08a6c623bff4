using System.Text.Json;
using Mnemo.Context;

namespace Mnemo.Tests.Context;

public sealed class MessageOverlayTests
{
    private static ContextMessage Message(string text) =>
        ContextMessage.FromJson(JsonSerializer.SerializeToElement(new { role = "user", content = text }));

    [Fact]
    public void Overlay_OfAnOverlay_ReadsAsBothEditsAppliedInTurn()
    {
        var random = new Random(5);
        for (var round = 0; round < 300; round++)
        {
            var count = random.Next(0, 40);
            ContextMessage[] baseList = [.. Enumerable.Range(0, count).Select(i => Message($"m{i}"))];
            var expected = baseList.ToArray();
            IReadOnlyList<ContextMessage> current = baseList;
            for (var layer = 0; layer < random.Next(1, 4); layer++)
            {
                var replaced = Enumerable.Range(0, count).Where(_ => random.Next(4) == 0)
                    .Select(i => (i, Message($"m{i} layer {layer}"))).ToList();
                foreach (var (i, message) in replaced)
                {
                    expected[i] = message;
                }

                current = new MessageOverlay(current, replaced);
            }

            current.Count.ShouldBe(count);
            for (var i = 0; i < count; i++)
            {
                current[i].ShouldBeSameAs(expected[i], $"round {round}, message {i}");
            }

            current.ShouldBe(expected, $"round {round}: enumeration");
        }
    }
}
