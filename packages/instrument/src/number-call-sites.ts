// Finding calls in binaryen's tree: the fallback for functions our byte scanner
// could not read (an unknown opcode). Every other call is redirected in the bytes,
// before binaryen reads the module (binary/redirect-calls.ts), with exact offsets.
//
// Walked children first, in evaluation order, the tree yields a function's calls in
// the order of the binary encoding. Sites found this way get the function's start as
// an approximate offset. `children` also serves the shadow stack's search for
// catch bodies.

import binaryen from 'binaryen';

// binaryen.js has per-expression namespaces (binaryen.Block.getChildAt, …) that its
// index.d.ts does not declare.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const E: any = binaryen;

/**
 * The module's active element segments. binaryen.getElementSegmentInfo reads a
 * segment's offset, and aborts on a passive segment (which has none), so passive
 * ones are left out: their entries reach a table only through table.init.
 */
export function activeElementSegments(mod: binaryen.Module): binaryen.ElementSegmentInfo[] {
  const segments: binaryen.ElementSegmentInfo[] = [];
  for (let i = 0; i < mod.getNumElementSegments(); i++) {
    const segment = mod.getElementSegmentByIndex(i);
    if (!E._BinaryenElementSegmentIsPassive(segment)) segments.push(binaryen.getElementSegmentInfo(segment));
  }
  return segments;
}

/** Children of an expression in evaluation order (= the order of the binary encoding). */
export function children(expr: number, out: number[]): boolean {
  const id = E.getExpressionId(expr);
  const push = (...xs: number[]) => {
    for (const x of xs) if (x) out.push(x);
  };
  switch (id) {
    case E.BlockId: {
      const n = E.Block.getNumChildren(expr);
      for (let i = 0; i < n; i++) push(E.Block.getChildAt(expr, i));
      return true;
    }
    case E.IfId: push(E.If.getCondition(expr), E.If.getIfTrue(expr), E.If.getIfFalse(expr)); return true;
    case E.LoopId: push(E.Loop.getBody(expr)); return true;
    case E.BreakId: push(E.Break.getValue(expr), E.Break.getCondition(expr)); return true;
    case E.SwitchId: push(E.Switch.getValue(expr), E.Switch.getCondition(expr)); return true;
    case E.CallId: {
      const n = E.Call.getNumOperands(expr);
      for (let i = 0; i < n; i++) push(E.Call.getOperandAt(expr, i));
      return true;
    }
    case E.CallIndirectId: {
      const n = E.CallIndirect.getNumOperands(expr);
      for (let i = 0; i < n; i++) push(E.CallIndirect.getOperandAt(expr, i));
      push(E.CallIndirect.getTarget(expr));
      return true;
    }
    case E.CallRefId: {
      const n = E.CallRef.getNumOperands(expr);
      for (let i = 0; i < n; i++) push(E.CallRef.getOperandAt(expr, i));
      push(E.CallRef.getTarget(expr));
      return true;
    }
    case E.LocalSetId: push(E.LocalSet.getValue(expr)); return true;
    case E.GlobalSetId: push(E.GlobalSet.getValue(expr)); return true;
    case E.LoadId: push(E.Load.getPtr(expr)); return true;
    case E.StoreId: push(E.Store.getPtr(expr), E.Store.getValue(expr)); return true;
    case E.UnaryId: push(E.Unary.getValue(expr)); return true;
    case E.BinaryId: push(E.Binary.getLeft(expr), E.Binary.getRight(expr)); return true;
    case E.SelectId: push(E.Select.getIfTrue(expr), E.Select.getIfFalse(expr), E.Select.getCondition(expr)); return true;
    case E.DropId: push(E.Drop.getValue(expr)); return true;
    case E.ReturnId: push(E.Return.getValue(expr)); return true;
    case E.MemoryGrowId: push(E.MemoryGrow.getDelta(expr)); return true;
    case E.AtomicRMWId: push(E.AtomicRMW.getPtr(expr), E.AtomicRMW.getValue(expr)); return true;
    case E.AtomicCmpxchgId: push(E.AtomicCmpxchg.getPtr(expr), E.AtomicCmpxchg.getExpected(expr), E.AtomicCmpxchg.getReplacement(expr)); return true;
    case E.AtomicWaitId: push(E.AtomicWait.getPtr(expr), E.AtomicWait.getExpected(expr), E.AtomicWait.getTimeout(expr)); return true;
    case E.AtomicNotifyId: push(E.AtomicNotify.getPtr(expr), E.AtomicNotify.getNotifyCount(expr)); return true;
    case E.SIMDExtractId: push(E.SIMDExtract.getVec(expr)); return true;
    case E.SIMDReplaceId: push(E.SIMDReplace.getVec(expr), E.SIMDReplace.getValue(expr)); return true;
    case E.SIMDShuffleId: push(E.SIMDShuffle.getLeft(expr), E.SIMDShuffle.getRight(expr)); return true;
    case E.SIMDTernaryId: push(E.SIMDTernary.getA(expr), E.SIMDTernary.getB(expr), E.SIMDTernary.getC(expr)); return true;
    case E.SIMDShiftId: push(E.SIMDShift.getVec(expr), E.SIMDShift.getShift(expr)); return true;
    case E.SIMDLoadId: push(E.SIMDLoad.getPtr(expr)); return true;
    case E.SIMDLoadStoreLaneId: push(E.SIMDLoadStoreLane.getPtr(expr), E.SIMDLoadStoreLane.getVec(expr)); return true;
    case E.MemoryInitId: push(E.MemoryInit.getDest(expr), E.MemoryInit.getOffset(expr), E.MemoryInit.getSize(expr)); return true;
    case E.MemoryCopyId: push(E.MemoryCopy.getDest(expr), E.MemoryCopy.getSource(expr), E.MemoryCopy.getSize(expr)); return true;
    case E.MemoryFillId: push(E.MemoryFill.getDest(expr), E.MemoryFill.getValue(expr), E.MemoryFill.getSize(expr)); return true;
    case E.RefIsNullId: push(E.RefIsNull.getValue(expr)); return true;
    case E.RefAsId: push(E.RefAs.getValue(expr)); return true;
    case E.RefEqId: push(E.RefEq.getLeft(expr), E.RefEq.getRight(expr)); return true;
    case E.TableGetId: push(E.TableGet.getIndex(expr)); return true;
    case E.TableSetId: push(E.TableSet.getIndex(expr), E.TableSet.getValue(expr)); return true;
    case E.TableGrowId: push(E.TableGrow.getValue(expr), E.TableGrow.getDelta(expr)); return true;
    case E.TryId: {
      push(E.Try.getBody(expr));
      const n = E.Try.getNumCatchBodies(expr);
      for (let i = 0; i < n; i++) push(E.Try.getCatchBodyAt(expr, i));
      return true;
    }
    case E.ThrowId: {
      const n = E.Throw.getNumOperands(expr);
      for (let i = 0; i < n; i++) push(E.Throw.getOperandAt(expr, i));
      return true;
    }
    case E.TupleMakeId: {
      const n = E.TupleMake.getNumOperands(expr);
      for (let i = 0; i < n; i++) push(E.TupleMake.getOperandAt(expr, i));
      return true;
    }
    case E.TupleExtractId: push(E.TupleExtract.getTuple(expr)); return true;
    case E.RefI31Id: push(E.RefI31.getValue(expr)); return true;
    case E.I31GetId: push(E.I31Get.getI31(expr)); return true;
    case E.RefTestId: push(E.RefTest.getRef(expr)); return true;
    case E.RefCastId: push(E.RefCast.getRef(expr)); return true;
    case E.BrOnId: push(E.BrOn.getRef(expr)); return true;
    case E.StructNewId: {
      const n = E.StructNew.getNumOperands(expr);
      for (let i = 0; i < n; i++) push(E.StructNew.getOperandAt(expr, i));
      return true;
    }
    case E.StructGetId: push(E.StructGet.getRef(expr)); return true;
    case E.StructSetId: push(E.StructSet.getRef(expr), E.StructSet.getValue(expr)); return true;
    case E.ArrayNewId: push(E.ArrayNew.getInit(expr), E.ArrayNew.getSize(expr)); return true;
    case E.ArrayNewFixedId: {
      const n = E.ArrayNewFixed.getNumValues(expr);
      for (let i = 0; i < n; i++) push(E.ArrayNewFixed.getValueAt(expr, i));
      return true;
    }
    case E.ArrayNewDataId: push(E.ArrayNewData.getOffset(expr), E.ArrayNewData.getSize(expr)); return true;
    case E.ArrayNewElemId: push(E.ArrayNewElem.getOffset(expr), E.ArrayNewElem.getSize(expr)); return true;
    case E.ArrayGetId: push(E.ArrayGet.getRef(expr), E.ArrayGet.getIndex(expr)); return true;
    case E.ArraySetId: push(E.ArraySet.getRef(expr), E.ArraySet.getIndex(expr), E.ArraySet.getValue(expr)); return true;
    case E.ArrayLenId: push(E.ArrayLen.getRef(expr)); return true;
    case E.ArrayFillId: push(E.ArrayFill.getRef(expr), E.ArrayFill.getIndex(expr), E.ArrayFill.getValue(expr), E.ArrayFill.getSize(expr)); return true;
    case E.ArrayCopyId: push(E.ArrayCopy.getDestRef(expr), E.ArrayCopy.getDestIndex(expr), E.ArrayCopy.getSrcRef(expr), E.ArrayCopy.getSrcIndex(expr), E.ArrayCopy.getLength(expr)); return true;
    case E.ArrayInitDataId: push(E.ArrayInitData.getRef(expr), E.ArrayInitData.getIndex(expr), E.ArrayInitData.getOffset(expr), E.ArrayInitData.getSize(expr)); return true;
    case E.ArrayInitElemId: push(E.ArrayInitElem.getRef(expr), E.ArrayInitElem.getIndex(expr), E.ArrayInitElem.getOffset(expr), E.ArrayInitElem.getSize(expr)); return true;
    case E.LocalGetId: case E.GlobalGetId: case E.ConstId: case E.MemorySizeId: case E.NopId: case E.UnreachableId:
    case E.AtomicFenceId: case E.DataDropId: case E.PopId: case E.RefNullId: case E.RefFuncId: case E.TableSizeId: case E.RethrowId:
      return true;
    default:
      return false; // an expression we cannot see into
  }
}

export interface FoundCalls {
  /** Direct calls to the given targets, in evaluation (= binary) order. */
  calls: number[];
  /** False if some expression could not be descended into; then `calls` may be incomplete. */
  complete: boolean;
}

/** Direct calls in `body` whose target is in `targets`, in binary order. */
export function findCalls(body: number, targets: ReadonlySet<string>): FoundCalls {
  const calls: number[] = [];
  let complete = true;
  // Iterative post-order: a node is emitted after its children, as in the binary.
  const stack: Array<[number, boolean]> = [[body, false]];
  const kids: number[] = [];
  while (stack.length) {
    const top = stack.pop()!;
    const [expr, expanded] = top;
    if (expanded) {
      if (E.getExpressionId(expr) === E.CallId && targets.has(E.Call.getTarget(expr))) calls.push(expr);
      continue;
    }
    stack.push([expr, true]);
    kids.length = 0;
    if (!children(expr, kids)) complete = false;
    for (let i = kids.length - 1; i >= 0; i--) stack.push([kids[i]!, false]);
  }
  return { calls, complete };
}
