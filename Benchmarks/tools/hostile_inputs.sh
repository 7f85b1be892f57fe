#!/usr/bin/env bash
# Hostile inputs against the release `sue` (swift build -c release first): one line per case with the exit
# status and the first line of the message. Needs python3 with numpy to write the inputs. Run from anywhere.
S=$(cd "$(dirname "$0")/../.." && pwd)/.build/release/sue
W=$(mktemp -d); trap "rm -rf $W" EXIT; cd "$W"
python3 - <<'PY'
import numpy as np
r=np.random.default_rng(0)
x=r.normal(size=(300,8)).astype(np.float32); y=(x@r.normal(size=(8,6))).astype(np.float32)
np.save("x.npy",x); np.save("y.npy",y)
open("pairs.csv","w").write("x,y\n"+"".join(f"{i},{i}\n" for i in range(30)))
open("conflict.csv","w").write("x,y\n0,5\n1,1\n0,6\n")
big=x.copy(); big[3,2]=1e38; np.save("big.npy",big)
np.save("zero.npy",np.zeros((300,8),np.float32))
np.save("scaled_up.npy",(x*1e30).astype(np.float32)); np.save("scaled_down.npy",(x*1e-30).astype(np.float32))
np.save("denormal.npy",(x*1e-40).astype(np.float32)); np.save("onecol.npy",x[:,:1].copy())
f64=x.astype(np.float64); f64[7,1]=1e300; np.save("f64.npy",f64)
np.save("zq.npy",np.zeros((3,6),np.float32))
nanq=y[:5].copy(); nanq[2,3]=np.nan; np.save("nanq.npy",nanq)
open("longfield.csv","w").write("x,y\n"+"1"*1_000_000+",2\n")
h=open("x.npy","rb").read(); open("lead0.npy","wb").write(h.replace(b"(300, 8)",b"(0300, 8)"))
PY
run() { local label=$1; shift; out=$($S "$@" 2>&1 >/dev/null | head -1 | cut -c1-220); echo "$label | exit ${PIPESTATUS[0]} | $out"; }
run_status() { local label=$1; shift; $S "$@" >/dev/null 2>err.txt; st=$?; echo "$label | exit $st | $(head -1 err.txt | cut -c1-220)"; }
run_status "fit ridge" fit --x x.npy --y y.npy --pairs pairs.csv --out m.safetensors --method ridge --quiet
run_status "embed --out /dev/null" embed --model m.safetensors --modality x --in x.npy --out /dev/null --quiet
echo "/dev/null still a device: $(test -c /dev/null && echo yes || echo NO)"
rm -f fifo; mkfifo fifo; (cat fifo > fifo.bytes &) ; run_status "embed --out FIFO" embed --model m.safetensors --modality x --in x.npy --out fifo --quiet; sleep 0.5
echo "fifo still a FIFO: $(test -p fifo && echo yes || echo NO); bytes through it: $(wc -c < fifo.bytes)"
rm -f target.npy link.npy; touch target.npy; ln -s target.npy link.npy; run_status "embed --out symlink" embed --model m.safetensors --modality x --in x.npy --out link.npy --quiet
echo "link still a symlink: $(test -L link.npy && echo yes || echo NO); target size $(wc -c < target.npy)"
echo "--out - bytes: $($S embed --model m.safetensors --modality x --in x.npy --out - --quiet 2>/dev/null | wc -c)"
run_status "fit --out = input" fit --x x.npy --y y.npy --pairs pairs.csv --out x.npy --method ridge --quiet
for m in auto ridge cca similarity-profiles cca+profiles sue; do run_status "fit 1e38 ($m)" fit --x big.npy --y y.npy --pairs pairs.csv --out b.safetensors --method $m --quiet; done
run_status "embed 1e38" embed --model m.safetensors --modality x --in big.npy --out e.npy --quiet
for m in auto ridge cca; do run_status "fit zero X ($m)" fit --x zero.npy --y y.npy --pairs pairs.csv --out z.safetensors --method $m --quiet; done
head -2 pairs.csv > one.csv; run_status "cca 1 pair" fit --x x.npy --y y.npy --pairs one.csv --out o.safetensors --method cca --quiet
run_status "all-zero query rows (not zero once centred)" search --model m.safetensors --query-y zq.npy --index-x x.npy -k 3 --quiet
run_status "conflicting pairs (fit)" fit --x x.npy --y y.npy --pairs conflict.csv --out c.safetensors --method ridge --quiet
run_status "conflicting pairs (inspect)" inspect conflict.csv
run_status "evaluate NaN queries" evaluate --model m.safetensors --x x.npy --y nanq.npy --quiet
run_status "data x1e30" fit --x scaled_up.npy --y y.npy --pairs pairs.csv --out s.safetensors --method sue --quiet
run_status "data x1e-30" fit --x scaled_down.npy --y y.npy --pairs pairs.csv --out s.safetensors --method sue --quiet
run_status "denormal data" fit --x denormal.npy --y y.npy --pairs pairs.csv --out s.safetensors --method ridge --quiet
run_status "one column, sue" fit --x onecol.npy --y y.npy --pairs pairs.csv --out s.safetensors --method sue --quiet
run_status "float64 1e300" fit --x f64.npy --y y.npy --pairs pairs.csv --out s.safetensors --method ridge --quiet
run_status "1 MB CSV field" fit --x x.npy --y y.npy --pairs longfield.csv --out s.safetensors --method ridge --quiet
run_status "shape (0300, 8)" inspect lead0.npy
python3 - <<'PY'
import struct
# a valid header claiming 100 000 000 x 8 float32, as a sparse file
hdr="{'descr': '<f4', 'fortran_order': False, 'shape': (100000000, 8), }"
pad=64-((10+len(hdr)+1)%64); hdr=hdr+" "*pad+"\n"
with open("huge.npy","wb") as f:
    f.write(b"\x93NUMPY\x01\x00"+struct.pack("<H",len(hdr))+hdr.encode()); f.truncate(10+len(hdr)+100000000*8*4)
PY
run_status "inspect 100M x 8 (sparse file)" inspect huge.npy
run_status "embed rows 0:1000 of 100M x 8" embed --model m.safetensors --modality x --in huge.npy --rows 0:1000 --out h.npy --quiet
rm -f huge.npy
python3 - <<'PY'
import struct
# a valid header claiming 2 000 000 000 x 8 float32, as a sparse file: its index would not fit in memory
hdr="{'descr': '<f4', 'fortran_order': False, 'shape': (2000000000, 8), }"
pad=64-((10+len(hdr)+1)%64); hdr=hdr+" "*pad+"\n"
with open("huge.npy","wb") as f:
    f.write(b"\x93NUMPY\x01\x00"+struct.pack("<H",len(hdr))+hdr.encode()); f.truncate(10+len(hdr)+2000000000*8*4)
PY
run_status "index 2e9 x 8 (sparse file)" index --model m.safetensors --modality x --in huge.npy --out h.index --quiet
echo "no index left behind: $(test -e h.index && echo NO || echo yes)"
rm -f huge.npy
run_status "index x" index --model m.safetensors --modality x --in x.npy --out x.index --cells 8 --quiet
run_status "fit cca" fit --x x.npy --y y.npy --pairs pairs.csv --out other.safetensors --method cca --quiet
run_status "search an index with another model" search --model other.safetensors --query-y y.npy --index x.index --quiet
head -c $(( $(wc -c < x.index) / 2 )) x.index > cut.index; run_status "search a truncated index" search --model m.safetensors --query-y y.npy --index cut.index --quiet
run_status "search a model file as an index" search --model m.safetensors --query-y y.npy --index m.safetensors --quiet
run_status "search an index with NaN queries" search --model m.safetensors --query-y nanq.npy --index x.index --quiet
python3 - <<'PY'
import numpy as np
r=np.random.default_rng(1)
x=np.load("x.npy"); y=np.load("y.npy")
labels=[["ham","eggs","spam"][i%3] for i in range(300)]
open("labels.txt","w").write("\n".join(labels)+"\n")
open("short.txt","w").write("\n".join(labels[:298])+"\n")
open("test_labels.txt","w").write("\n".join(labels[:59]+["toast"])+"\n")
u=x[:50].copy(); u[7,3]=np.nan; np.save("nan_unlabelled.npy",u)
np.save("same_y.npy",np.ones((300,6),np.float32)); np.save("tx.npy",x[:60].copy())
PY
run_status "classify: 298 labels for 300 rows" classify --train-x x.npy --labels-x short.txt --test-x tx.npy --quiet
run_status "classify: unseen test label" classify --train-x x.npy --labels-x labels.txt --test-x tx.npy --test-labels test_labels.txt --quiet
run_status "classify auxiliary: unlabelled rows of the other width" classify --train-x x.npy --labels-x labels.txt --train-y y.npy --labels-y labels.txt --test-x tx.npy --unlabelled-x y.npy --quiet
run_status "classify auxiliary: NaN in the unlabelled rows" classify --train-x x.npy --labels-x labels.txt --train-y y.npy --labels-y labels.txt --test-x tx.npy --unlabelled-x nan_unlabelled.npy --quiet
run_status "classify auxiliary: every auxiliary row the same" classify --train-x x.npy --labels-x labels.txt --train-y same_y.npy --labels-y labels.txt --test-x tx.npy --out p.csv --quiet
echo "predictions written: $(($(wc -l < p.csv) - 1)) rows, non-finite scores: $(grep -ci 'nan\|inf' p.csv)"
