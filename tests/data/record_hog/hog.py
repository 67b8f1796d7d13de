import threading, time, os
def hog():
    t=time.time()
    while time.time()-t<1.5:
        sum(range(1000))
def io():
    t=time.time()
    while time.time()-t<1.5:
        time.sleep(0.001); sum(range(50))
ts=[threading.Thread(target=hog,name="hog")]+[threading.Thread(target=io,name=f"io{i}") for i in range(4)]
[t.start() for t in ts]; [t.join() for t in ts]
