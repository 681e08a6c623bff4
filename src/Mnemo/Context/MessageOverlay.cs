using System.Collections;

namespace Mnemo.Context;

/// <summary>
/// A list of messages that is another list with some messages replaced: an edit costs what it replaced, not a copy of
/// the conversation.
/// </summary>
internal sealed class MessageOverlay : IReadOnlyList<ContextMessage>
{
    private readonly IReadOnlyList<ContextMessage> _base;
    private readonly int[] _indices;
    private readonly ContextMessage[] _replacements;

    /// <param name="baseList">The list underneath.</param>
    /// <param name="replacements">The replaced positions, in ascending order, each once.</param>
    public MessageOverlay(IReadOnlyList<ContextMessage> baseList, List<(int Index, ContextMessage Message)> replacements)
    {
        _base = baseList;
        _indices = new int[replacements.Count];
        _replacements = new ContextMessage[replacements.Count];
        for (var i = 0; i < replacements.Count; i++)
        {
            (_indices[i], _replacements[i]) = replacements[i];
        }
    }

    public int Count => _base.Count;

    public ContextMessage this[int index]
    {
        get
        {
            var at = _indices.AsSpan().BinarySearch(index);
            return at >= 0 ? _replacements[at] : _base[index];
        }
    }

    public IEnumerator<ContextMessage> GetEnumerator()
    {
        var next = 0;
        for (var i = 0; i < _base.Count; i++)
        {
            if (next < _indices.Length && _indices[next] == i)
            {
                yield return _replacements[next++];
            }
            else
            {
                yield return _base[i];
            }
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
