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
        if (baseList is MessageOverlay under)
        {
            // An edit of an edit lays its replacements over the first's, on the same list underneath: lookups stay one
            // search deep however many strategies ran, and the merge costs what the two replaced.
            (_base, _indices, _replacements) = (under._base, new int[under._indices.Length + replacements.Count], new ContextMessage[under._indices.Length + replacements.Count]);
            var (i, j, k) = (0, 0, 0);
            while (i < under._indices.Length || j < replacements.Count)
            {
                var fromUnder = j == replacements.Count || (i < under._indices.Length && under._indices[i] < replacements[j].Index);
                if (fromUnder)
                {
                    (_indices[k], _replacements[k]) = (under._indices[i], under._replacements[i]);
                    i++;
                }
                else
                {
                    (_indices[k], _replacements[k]) = replacements[j];
                    i += i < under._indices.Length && under._indices[i] == replacements[j].Index ? 1 : 0;
                    j++;
                }

                k++;
            }

            if (k < _indices.Length)
            {
                Array.Resize(ref _indices, k);
                Array.Resize(ref _replacements, k);
            }

            return;
        }

        _base = baseList;
        _indices = new int[replacements.Count];
        _replacements = new ContextMessage[replacements.Count];
        for (var i = 0; i < replacements.Count; i++)
        {
            (_indices[i], _replacements[i]) = replacements[i];
        }
    }

    public int Count => _base.Count;

    /// <summary>Where to start looking for a change against <paramref name="list"/>: the first message replaced when this
    /// overlay lies over that very list, else 0.</summary>
    public int FirstChangeOver(IReadOnlyList<ContextMessage> list) =>
        ReferenceEquals(_base, list) ? (_indices.Length > 0 ? _indices[0] : _base.Count) : 0;

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
