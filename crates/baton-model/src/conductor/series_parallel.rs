//! Decomposing a dependency DAG into sequences and parallel groups, when it is
//! series-parallel (the only shapes Conductor's task lists and FORK_JOIN can express
//! without changing when tasks may start).

/// One element of a sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Element {
    /// A node of the graph.
    Node(usize),
    /// Sequences that run side by side; what follows waits for all of them.
    Parallel(Vec<Vec<Element>>),
}

/// Decomposes the graph whose node `i` depends on `deps[i]` (indices into `deps`) into
/// one sequence. `None` when the graph has a cycle, a dependency out of range, or is not
/// series-parallel (e.g. `c` after `a` and `b`, `d` after `b` only).
///
/// Two nodes are ordered in the result exactly when one depends on the other, directly
/// or not; branches are ordered by their smallest node index.
pub(super) fn decompose(deps: &[Vec<usize>]) -> Option<Vec<Element>> {
    let order = topological_order(deps)?;
    let descendants = descendants(deps, &order);
    sequence(&order, deps, &descendants)
}

/// Kahn's algorithm, taking the smallest ready index first (stable for lists).
fn topological_order(deps: &[Vec<usize>]) -> Option<Vec<usize>> {
    let n = deps.len();
    let mut waiting: Vec<usize> = vec![0; n];
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (node, node_deps) in deps.iter().enumerate() {
        for &dep in node_deps {
            let dep_children = children.get_mut(dep)?;
            dep_children.push(node);
            waiting[node] += 1;
        }
    }
    let mut ready: std::collections::BTreeSet<usize> =
        (0..n).filter(|&i| waiting[i] == 0).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(node) = ready.pop_first() {
        order.push(node);
        for &child in &children[node] {
            waiting[child] -= 1;
            if waiting[child] == 0 {
                ready.insert(child);
            }
        }
    }
    (order.len() == n).then_some(order)
}

/// A fixed-size set of node indices.
#[derive(Debug, Clone)]
struct NodeSet(Vec<u64>);

impl NodeSet {
    fn new(n: usize) -> NodeSet {
        NodeSet(vec![0; n.div_ceil(64)])
    }

    fn full(n: usize) -> NodeSet {
        let mut set = NodeSet::new(n);
        for i in 0..n {
            set.insert(i);
        }
        set
    }

    fn insert(&mut self, i: usize) {
        if let Some(word) = self.0.get_mut(i / 64) {
            *word |= 1 << (i % 64);
        }
    }

    fn contains(&self, i: usize) -> bool {
        self.0
            .get(i / 64)
            .is_some_and(|word| word & (1 << (i % 64)) != 0)
    }

    fn union_with(&mut self, other: &NodeSet) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a |= b;
        }
    }

    fn intersect_with(&mut self, other: &NodeSet) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a &= b;
        }
    }
}

/// For each node, every node that depends on it directly or not.
fn descendants(deps: &[Vec<usize>], order: &[usize]) -> Vec<NodeSet> {
    let n = deps.len();
    let mut sets: Vec<NodeSet> = vec![NodeSet::new(n); n];
    for &node in order.iter().rev() {
        // Every dependent of `node` comes later in `order`, so its set is complete.
        for &dep in &deps[node] {
            let mut add = sets[node].clone();
            add.insert(node);
            sets[dep].union_with(&add);
        }
    }
    sets
}

/// `nodes` (in topological order, convex) as a sequence: split wherever every node before
/// the split precedes every node after it; each part is a node or a parallel group.
fn sequence(nodes: &[usize], deps: &[Vec<usize>], descendants: &[NodeSet]) -> Option<Vec<Element>> {
    let mut out = Vec::new();
    let mut common = NodeSet::full(deps.len());
    let mut start = 0;
    for k in 1..=nodes.len() {
        common.intersect_with(&descendants[nodes[k - 1]]);
        let split = k == nodes.len() || nodes[k..].iter().all(|&q| common.contains(q));
        if split {
            let part = &nodes[start..k];
            match part {
                [single] => out.push(Element::Node(*single)),
                _ => out.push(parallel(part, deps, descendants)?),
            }
            start = k;
        }
    }
    Some(out)
}

/// `nodes` that admit no series split, as parallel branches (their weakly connected
/// components); `None` when they are connected, i.e. not series-parallel.
fn parallel(nodes: &[usize], deps: &[Vec<usize>], descendants: &[NodeSet]) -> Option<Element> {
    let local = |node: usize| nodes.iter().position(|&n| n == node);
    let mut component: Vec<usize> = (0..nodes.len()).collect();
    fn root(component: &mut [usize], mut i: usize) -> usize {
        while component[i] != i {
            component[i] = component[component[i]];
            i = component[i];
        }
        i
    }
    for (i, &node) in nodes.iter().enumerate() {
        for &dep in &deps[node] {
            if let Some(j) = local(dep) {
                let (a, b) = (root(&mut component, i), root(&mut component, j));
                component[a.max(b)] = a.min(b);
            }
        }
    }
    let mut groups: Vec<(usize, Vec<usize>)> = Vec::new();
    for (i, &node) in nodes.iter().enumerate() {
        let r = root(&mut component, i);
        match groups.iter_mut().find(|(g, _)| *g == r) {
            Some((_, members)) => members.push(node),
            None => groups.push((r, vec![node])),
        }
    }
    if groups.len() < 2 {
        return None;
    }
    groups.sort_by_key(|(_, members)| members.iter().min().copied());
    let branches = groups
        .iter()
        .map(|(_, members)| sequence(members, deps, descendants))
        .collect::<Option<Vec<_>>>()?;
    Some(Element::Parallel(branches))
}

#[cfg(test)]
mod tests {
    use super::Element::{Node, Parallel};
    use super::*;

    #[test]
    fn a_chain_is_a_sequence() {
        assert_eq!(
            decompose(&[vec![], vec![0], vec![1]]),
            Some(vec![Node(0), Node(1), Node(2)])
        );
    }

    #[test]
    fn a_diamond_is_a_fork_between_two_nodes() {
        let deps = [vec![], vec![0], vec![0], vec![1, 2]];
        assert_eq!(
            decompose(&deps),
            Some(vec![
                Node(0),
                Parallel(vec![vec![Node(1)], vec![Node(2)]]),
                Node(3)
            ])
        );
    }

    #[test]
    fn complete_bipartite_layers_are_two_forks() {
        let deps = [vec![], vec![], vec![0, 1], vec![0, 1]];
        let fork = |a, b| Parallel(vec![vec![Node(a)], vec![Node(b)]]);
        assert_eq!(decompose(&deps), Some(vec![fork(0, 1), fork(2, 3)]));
    }

    #[test]
    fn nested_branches_keep_their_sequences() {
        // 0 -> (1 -> 2 | 3) -> 4
        let deps = [vec![], vec![0], vec![1], vec![0], vec![2, 3]];
        assert_eq!(
            decompose(&deps),
            Some(vec![
                Node(0),
                Parallel(vec![vec![Node(1), Node(2)], vec![Node(3)]]),
                Node(4)
            ])
        );
    }

    #[test]
    fn an_n_shape_is_not_series_parallel() {
        let deps = [vec![], vec![], vec![0, 1], vec![1]];
        assert_eq!(decompose(&deps), None);
    }

    #[test]
    fn cycles_and_bad_indices_are_refused() {
        assert_eq!(decompose(&[vec![1], vec![0]]), None);
        assert_eq!(decompose(&[vec![5]]), None);
    }

    #[test]
    fn transitive_edges_do_not_matter() {
        let deps = [vec![], vec![0], vec![0, 1]];
        assert_eq!(decompose(&deps), Some(vec![Node(0), Node(1), Node(2)]));
    }
}
